package io.muster.gateway.config;

import io.muster.gateway.ratelimit.RateLimit;

/**
 * A route's local rate limit (a token bucket per route, for the whole gateway).
 *
 * @param requestsPerSecond refill rate, required, 0.001 to 1,000,000,000 (fractions allowed: 0.5 is one every 2 s)
 * @param burst requests let through at once from a full bucket, default one second's worth (at least 1)
 */
public record RateLimitConfig(Double requestsPerSecond, Integer burst) {

  public RateLimitConfig {
    Checks.required(requestsPerSecond, "requests-per-second");
    burst = burst == null ? RateLimit.defaultBurst(requestsPerSecond) : burst;
    toRateLimit(requestsPerSecond, burst); // validates
  }

  public RateLimit toRateLimit() {
    return toRateLimit(requestsPerSecond, burst);
  }

  private static RateLimit toRateLimit(double rps, int burst) {
    return new RateLimit(rps, burst);
  }
}
