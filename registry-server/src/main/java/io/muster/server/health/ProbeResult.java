package io.muster.server.health;

import java.util.Objects;

/**
 * Outcome of one probe (or one TTL report). Failures are values, not exceptions: a prober that
 * cannot reach its target completes with {@code fail("connect refused")}.
 *
 * @param outcome pass, warn (routable but degraded), fail, or timeout
 * @param reason  short text shown as the instance's health reason, e.g. {@code "HTTP 503"}
 */
public record ProbeResult(Outcome outcome, String reason) {

    /** What a probe found. */
    public enum Outcome {
        PASS, WARN, FAIL,
        /**
         * No answer within the check's timeout: a failure, except when the probing member itself was
         * stalled (GC pause, CPU starvation) for a good part of the wait; then the probe does not count.
         */
        TIMEOUT
    }

    public ProbeResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        if (reason.length() > 256) {
            reason = reason.substring(0, 253) + "...";
        }
    }

    public static ProbeResult pass(String reason) {
        return new ProbeResult(Outcome.PASS, reason);
    }

    public static ProbeResult warn(String reason) {
        return new ProbeResult(Outcome.WARN, reason);
    }

    public static ProbeResult fail(String reason) {
        return new ProbeResult(Outcome.FAIL, reason);
    }

    /** No answer within {@code timeoutMs}. */
    public static ProbeResult timeout(long timeoutMs) {
        return new ProbeResult(Outcome.TIMEOUT, "timeout after " + timeoutMs + "ms");
    }

    /** Pass or warn: the target answered as healthy. */
    public boolean ok() {
        return outcome == Outcome.PASS || outcome == Outcome.WARN;
    }

    public boolean timedOut() {
        return outcome == Outcome.TIMEOUT;
    }
}
