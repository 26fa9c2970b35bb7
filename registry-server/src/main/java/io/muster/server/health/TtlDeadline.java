package io.muster.server.health;

import io.muster.api.v1.CheckResult;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of one TTL check: the instance must report within {@code ttl} of its last report
 * (or of the moment this member took the check over). Time is a {@code nanoTime} value passed in
 * by the caller, so tests drive it exactly.
 */
final class TtlDeadline {

    private final long ttlMs;
    private final long ttlNanos;
    private long deadline;
    private boolean expirySignalled;

    TtlDeadline(long ttlMs, long nowNanos) {
        this.ttlMs = ttlMs;
        this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMs);
        this.deadline = nowNanos + ttlNanos;
    }

    /** A report arrived: the next one is due {@code ttl} from now. */
    void reported(long nowNanos) {
        deadline = nowNanos + ttlNanos;
        expirySignalled = false;
    }

    /** Nanos until the deadline (zero or negative when due). */
    long nanosLeft(long nowNanos) {
        return deadline - nowNanos;
    }

    /**
     * True exactly once per missed deadline: when the deadline has passed and the expiry has not yet
     * been turned into a failure.
     */
    boolean takeExpiry(long nowNanos) {
        if (expirySignalled || nowNanos - deadline < 0) {
            return false;
        }
        expirySignalled = true;
        return true;
    }

    ProbeResult expiry() {
        return ProbeResult.fail("TTL expired: no report in " + ttlMs + "ms");
    }

    /** The result a report stands for; the note becomes the reason. */
    static ProbeResult fromReport(CheckResult result, String note) {
        return switch (result) {
            case PASS -> ProbeResult.pass(note.isEmpty() ? "reported pass" : note);
            case WARN -> ProbeResult.warn(note.isEmpty() ? "reported warn" : "reported warn: " + note);
            case FAIL -> ProbeResult.fail(note.isEmpty() ? "reported fail" : "reported fail: " + note);
            default -> throw new IllegalArgumentException("report result: " + result + " (expected: PASS, WARN or FAIL)");
        };
    }
}
