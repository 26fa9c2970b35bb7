package io.muster.gateway.route;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * The wait before a retry, as Envoy's {@code retry_back_off}: fully jittered exponential back-off. The
 * n-th retry waits a uniformly random whole number of milliseconds in {@code [0, interval(n))}, where
 * {@code interval(1) = base} and each further retry doubles it, capped at {@code max} (Envoy's
 * {@code JitteredExponentialBackOffStrategy}: 25, 50, 100, 200, 250, 250 ms with the defaults).
 * Full jitter spreads the retries of many clients that failed together, so a backend that just came
 * back is not hit by all of them at once.
 *
 * @param base the first interval, > 0 (Envoy's default 25 ms)
 * @param max the largest interval, at least {@code base} (Envoy's default: 10 times {@code base})
 */
public record RetryBackoff(Duration base, Duration max) {

  public static final Duration DEFAULT_BASE = Duration.ofMillis(25);
  public static final RetryBackoff DEFAULT = of(DEFAULT_BASE, null);

  public RetryBackoff {
    if (base == null || base.toMillis() < 1 || base.toMillis() > 3_600_000) {
      throw new IllegalArgumentException("backoff.base-interval-ms: " + (base == null ? null : base.toMillis())
          + " (expected: 1-3600000)");
    }
    if (max == null || max.compareTo(base) < 0 || max.toMillis() > 3_600_000) {
      throw new IllegalArgumentException("backoff.max-interval-ms: " + (max == null ? null : max.toMillis())
          + " (expected: base-interval-ms (" + base.toMillis() + ") to 3600000)");
    }
  }

  /** @param max {@code null}: ten times {@code base}, as Envoy */
  public static RetryBackoff of(Duration base, Duration max) {
    return new RetryBackoff(base, max != null ? max : base == null ? null : base.multipliedBy(10));
  }

  /** The interval the n-th retry ({@code retry} from 1) draws its wait from, in milliseconds. */
  public long intervalMillis(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry: " + retry + " (expected: >= 1)");
    }
    long interval = base.toMillis();
    long cap = max.toMillis();
    for (int i = 1; i < retry && interval < cap; i++) {
      interval = interval < cap / 2 ? interval * 2 : cap; // doubling, never past the cap (nor overflowing)
    }
    return Math.min(interval, cap);
  }

  /**
   * The wait before the n-th retry ({@code retry} from 1).
   *
   * @param random thread-safe; injected so tests know the draws
   */
  public long delayMillis(int retry, RandomGenerator random) {
    long interval = intervalMillis(retry);
    return interval > Integer.MAX_VALUE ? random.nextLong(interval) : random.nextInt((int) interval);
  }
}
