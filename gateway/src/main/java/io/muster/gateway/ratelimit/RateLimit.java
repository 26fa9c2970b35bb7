package io.muster.gateway.ratelimit;

/**
 * A local rate limit: {@code requestsPerSecond} on average, up to {@code burst} at once.
 *
 * @param requestsPerSecond refill rate, 0.001 to 1,000,000,000
 * @param burst bucket size, 1 to 1,000,000,000; a fresh or long idle bucket lets this many through at once
 */
public record RateLimit(double requestsPerSecond, int burst) {

  public RateLimit {
    if (!(requestsPerSecond >= 0.001 && requestsPerSecond <= 1e9)) {
      throw new IllegalArgumentException(
          "requests-per-second: " + requestsPerSecond + " (expected: 0.001-1000000000)");
    }
    if (burst < 1 || burst > 1_000_000_000) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: 1-1000000000)");
    }
  }

  /** The default burst: one second's worth, at least 1. */
  public static int defaultBurst(double requestsPerSecond) {
    return (int) Math.max(1, Math.min(1_000_000_000, Math.ceil(requestsPerSecond)));
  }
}
