package io.muster.server.health;

import io.muster.api.v1.HealthStatus;
import java.util.List;
import java.util.Optional;

/**
 * Combines the settled statuses of an instance's checks: UNHEALTHY if any check is failing,
 * otherwise no opinion while a check is still undecided (the instance stays PENDING), otherwise
 * WARNING if any check warns, otherwise HEALTHY.
 */
final class Aggregation {

    /** One check's name and settled state. */
    record Named(String name, CheckStatus status, String reason) {
    }

    private Aggregation() {
    }

    static Optional<Verdict> of(List<Named> checks) {
        if (checks.isEmpty()) {
            return Optional.empty();
        }
        boolean single = checks.size() == 1;
        StringBuilder failing = new StringBuilder();
        for (Named c : checks) {
            if (c.status() == CheckStatus.FAILING) {
                if (!failing.isEmpty()) {
                    failing.append("; ");
                }
                failing.append(single ? c.reason() : c.name() + ": " + c.reason());
            }
        }
        if (!failing.isEmpty()) {
            return Optional.of(new Verdict(HealthStatus.UNHEALTHY, failing.toString()));
        }
        if (checks.stream().anyMatch(c -> c.status() == CheckStatus.UNKNOWN)) {
            return Optional.empty();
        }
        for (Named c : checks) {
            if (c.status() == CheckStatus.WARNING) {
                return Optional.of(new Verdict(HealthStatus.WARNING, single ? c.reason() : c.name() + ": " + c.reason()));
            }
        }
        return Optional.of(new Verdict(HealthStatus.HEALTHY,
                single ? checks.get(0).reason() : "all " + checks.size() + " checks passing"));
    }
}
