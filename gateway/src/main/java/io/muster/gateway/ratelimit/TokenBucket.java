package io.muster.gateway.ratelimit;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket of {@code burst} tokens refilled at {@code rate} per second, kept as one number (the
 * generic cell rate algorithm): the time at which the bucket would be full again. A request may pass
 * when taking its token does not push that time more than {@code burst} tokens' worth into the future.
 * That is the token bucket exactly, with no refill task and no lock: one compare-and-set per request.
 *
 * <p>Why not Guava's {@code RateLimiter}: its {@code acquire} parks the caller (an event loop must
 * never), its {@code tryAcquire} takes a lock shared by all event loops, its clock is not injectable
 * (its stopwatch constructor is package-private), and its {@code SmoothBursty} starts empty and lets
 * a request borrow from the future, so "burst N then exactly one per 1/rate" does not hold.
 *
 * <p>Thread-safe and lock-free; time comes from the injected monotonic {@code nanoClock}.
 */
public final class TokenBucket {

  private final LongSupplier nanoClock;
  /** Nanoseconds one token takes to refill. */
  private final long intervalNanos;
  /** Nanoseconds a full bucket is worth ({@code burst * intervalNanos}). */
  private final long capacityNanos;
  /** When the bucket is full again; at or before now means full. */
  private final AtomicLong fullAt;

  public TokenBucket(RateLimit limit, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.intervalNanos = Math.max(1, Math.round(1e9 / limit.requestsPerSecond()));
    this.capacityNanos = Math.multiplyExact(intervalNanos, (long) limit.burst());
    this.fullAt = new AtomicLong(nanoClock.getAsLong());
  }

  /**
   * Takes one token if there is one.
   *
   * @return 0 when taken; otherwise how many nanoseconds until a token will be there (nothing taken)
   */
  public long tryAcquire() {
    long now = nanoClock.getAsLong();
    while (true) {
      long full = fullAt.get();
      long base = full - now < 0 ? now : full; // a bucket full since before now starts from now
      long next = base + intervalNanos;
      long over = next - now - capacityNanos;
      if (over > 0) {
        return over;
      }
      if (fullAt.compareAndSet(full, next)) {
        return 0;
      }
    }
  }

  /** {@code Retry-After} for a wait: whole seconds, rounded up, at least 1. */
  public static long retryAfterSeconds(long waitNanos) {
    return Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
  }
}
