package io.muster.server.health;

import java.util.Objects;
import java.util.Optional;

/**
 * The rise / fall threshold state machine of one check. {@code rise} consecutive successes settle
 * the check as passing, {@code fall} consecutive failures settle it as failing; anything shorter
 * leaves the settled status alone, which is what damps a flapping backend. Between PASSING and
 * WARNING there is no threshold (both are successes).
 *
 * <p>Not thread-safe: owned by one {@link InstanceModel}, which its caller serializes.
 */
final class CheckState {

    private final int rise;
    private final int fall;
    private CheckStatus status;
    private String reason;
    private int successes;
    private int failures;

    CheckState(int rise, int fall, CheckStatus initial, String initialReason) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise: " + rise + ", fall: " + fall + " (expected: >= 1)");
        }
        this.rise = rise;
        this.fall = fall;
        this.status = Objects.requireNonNull(initial, "initial");
        this.reason = initialReason;
    }

    /** Records one result; returns the new settled status if it changed. */
    Optional<CheckStatus> record(ProbeResult result) {
        CheckStatus before = status;
        if (result.ok()) {
            failures = 0;
            successes = saturatedIncrement(successes);
            CheckStatus ok = result.outcome() == ProbeResult.Outcome.WARN ? CheckStatus.WARNING : CheckStatus.PASSING;
            if (status == CheckStatus.PASSING || status == CheckStatus.WARNING || successes >= rise) {
                status = ok;
                reason = result.reason();
            }
        } else {
            successes = 0;
            failures = saturatedIncrement(failures);
            if (status == CheckStatus.FAILING || failures >= fall) {
                status = CheckStatus.FAILING;
                reason = result.reason();
            }
        }
        return status == before ? Optional.empty() : Optional.of(status);
    }

    private static int saturatedIncrement(int n) {
        return n == Integer.MAX_VALUE ? n : n + 1;
    }

    CheckStatus status() {
        return status;
    }

    /** Reason of the result that settled (or last confirmed) the current status. */
    String reason() {
        return reason;
    }

    int consecutiveSuccesses() {
        return successes;
    }

    int consecutiveFailures() {
        return failures;
    }

    @Override
    public String toString() {
        return status + " (" + reason + "; ok " + successes + "/" + rise + ", failed " + failures + "/" + fall + ")";
    }
}
