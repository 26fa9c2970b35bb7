package io.muster.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How calls are retried across members: per-attempt deadline, overall budget, capped exponential
 * backoff with jitter. Only UNAVAILABLE (member down, no leader yet) and per-attempt
 * DEADLINE_EXCEEDED are retried, and CANCELLED when the caller did not cancel (a member shutting
 * down resets its streams). A retried register or deregister carries the request id of its first
 * attempt, which the cluster applies once (within 2 minutes), so a retry after a lost answer never
 * undoes a newer write of the same instance by another client.
 *
 * <p>RESOURCE_EXHAUSTED (a member over its watcher or stream limit) is retried too, with the same
 * growing, capped backoff, so an overloaded member is not hammered. Statuses that no retry can fix
 * ({@link #isFatal}) end a watch and reach the user.
 *
 * <pre>{@code
 * RegistryClient client = RegistryClient.builder(targets)
 *         .retryPolicy(new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofSeconds(1)))
 *         .build();
 * }</pre>
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
                || code == Status.Code.CANCELLED || code == Status.Code.RESOURCE_EXHAUSTED;
    }

    /** Statuses a retry cannot fix: a bad request, missing rights, an old server. */
    static boolean isFatal(Status.Code code) {
        return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.PERMISSION_DENIED
                || code == Status.Code.UNAUTHENTICATED || code == Status.Code.UNIMPLEMENTED;
    }

    /** Backoff before attempt {@code n} (n >= 1), with full jitter over the upper half. */
    long backoffNanos(int n, RandomGenerator random) {
        long base = initialBackoff.toNanos() << Math.min(Math.max(n, 1) - 1, 20);
        long capped = Math.min(maxBackoff.toNanos(), Math.max(0, base));
        return capped / 2 + (capped > 1 ? random.nextLong(capped / 2 + 1) : 0);
    }
}
