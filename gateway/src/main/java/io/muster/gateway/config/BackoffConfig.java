package io.muster.gateway.config;

import io.muster.gateway.route.RetryBackoff;
import java.time.Duration;

/**
 * The wait before each retry, as Envoy's {@code retry_back_off}.
 *
 * <pre>{@code
 * backoff: {base-interval-ms: 25, max-interval-ms: 250}
 * }</pre>
 *
 * @param baseIntervalMs the first retry waits up to this long, default 25
 * @param maxIntervalMs the longest interval, default ten times {@code base-interval-ms}
 * @see RetryBackoff
 */
public record BackoffConfig(Long baseIntervalMs, Long maxIntervalMs) {

  public BackoffConfig {
    toBackoff(baseIntervalMs, maxIntervalMs); // validates
  }

  public RetryBackoff toBackoff() {
    return toBackoff(baseIntervalMs, maxIntervalMs);
  }

  private static RetryBackoff toBackoff(Long baseMs, Long maxMs) {
    return RetryBackoff.of(baseMs == null ? RetryBackoff.DEFAULT_BASE : Duration.ofMillis(baseMs),
        maxMs == null ? null : Duration.ofMillis(maxMs));
  }
}
