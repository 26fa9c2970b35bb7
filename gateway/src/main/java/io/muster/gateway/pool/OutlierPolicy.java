package io.muster.gateway.pool;

import java.time.Duration;

/**
 * When to eject an endpoint and for how long.
 *
 * @param consecutiveFailures failures in a row (connect failures, resets, timeouts, 5xx) that eject;
 *     0 disables ejection
 * @param baseEjection the first ejection's length; the n-th consecutive one lasts {@code base * 2^(n-1)}
 * @param maxEjection cap of an ejection's length
 * @param maxEjectionPercent at most this share of a pool is ejected at once (at least one endpoint)
 */
public record OutlierPolicy(int consecutiveFailures, Duration baseEjection, Duration maxEjection,
    int maxEjectionPercent) {

  public static final OutlierPolicy DEFAULT =
      new OutlierPolicy(5, Duration.ofSeconds(30), Duration.ofMinutes(5), 50);

  public OutlierPolicy {
    if (consecutiveFailures < 0) {
      throw new IllegalArgumentException("consecutiveFailures: " + consecutiveFailures + " (expected: >= 0)");
    }
    if (baseEjection.isNegative() || baseEjection.isZero()) {
      throw new IllegalArgumentException("baseEjection: " + baseEjection + " (expected: > 0)");
    }
    if (maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("maxEjection: " + maxEjection + " (expected: >= baseEjection " + baseEjection + ")");
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException("maxEjectionPercent: " + maxEjectionPercent + " (expected: 0-100)");
    }
  }

  public boolean enabled() {
    return consecutiveFailures > 0;
  }

  /** Length of the {@code n}-th ejection (n >= 1): exponential, capped. */
  public long ejectionNanos(int n) {
    long base = baseEjection.toNanos();
    long max = maxEjection.toNanos();
    int shift = Math.min(Math.max(0, n - 1), 62);
    return base > (max >> shift) ? max : Math.min(max, base << shift);
  }

  /** How many of {@code poolSize} endpoints may be ejected at once. */
  public int maxEjected(int poolSize) {
    return Math.max(1, poolSize * maxEjectionPercent / 100);
  }
}
