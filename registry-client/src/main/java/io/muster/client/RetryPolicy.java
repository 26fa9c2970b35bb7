package io.muster.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How calls are retried across members: per-attempt deadline, overall budget, capped exponential
 * backoff with jitter. Only UNAVAILABLE (member down, no leader yet) and per-attempt
 * DEADLINE_EXCEEDED are retried, and CANCELLED when the caller did not cancel (a member shutting
 * down resets its streams); every Muster write is idempotent, so a retry is safe.
 */
public record RetryPolicy(Duration attemptTimeout, Duration totalTimeout, Duration initialBackoff, Duration maxBackoff) {

    public RetryPolicy {
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        Objects.requireNonNull(totalTimeout, "totalTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("attemptTimeout: " + attemptTimeout + " (expected: > 0)");
        }
        if (totalTimeout.compareTo(attemptTimeout) < 0) {
            throw new IllegalArgumentException("totalTimeout: " + totalTimeout + " (expected: >= attemptTimeout " + attemptTimeout + ")");
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff: " + initialBackoff + ".." + maxBackoff + " (expected: 0 <= initial <= max)");
        }
    }

    public static RetryPolicy defaults() {
        return new RetryPolicy(Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofSeconds(2));
    }

    static boolean retryable(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.ABORTED
                || code == Status.Code.CANCELLED;
    }

    /** Backoff before attempt {@code n} (n >= 1), with full jitter over the upper half. */
    long backoffNanos(int n) {
        long base = initialBackoff.toNanos() << Math.min(n - 1, 20);
        long capped = Math.min(maxBackoff.toNanos(), Math.max(0, base));
        return capped / 2 + (capped > 1 ? ThreadLocalRandom.current().nextLong(capped / 2 + 1) : 0);
    }
}
