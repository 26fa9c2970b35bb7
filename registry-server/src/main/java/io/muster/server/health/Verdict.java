package io.muster.server.health;

import io.muster.api.v1.HealthStatus;
import java.util.Objects;

/** The status an instance should have according to its checks, and why. */
record Verdict(HealthStatus status, String reason) {
    Verdict {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
    }
}
