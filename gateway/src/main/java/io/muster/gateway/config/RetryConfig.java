package io.muster.gateway.config;

import io.muster.gateway.route.RetryBackoff;
import io.muster.gateway.route.RetryPolicy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A route's retry rules, like Envoy's {@code retry_policy}.
 *
 * <pre>{@code
 * retry:
 *   retry-on: [gateway-error, retriable-status-codes]
 *   retriable-status-codes: [409]
 *   max-retries: 2
 *   per-try-timeout-ms: 500
 *   backoff: {base-interval-ms: 25, max-interval-ms: 250}
 *   per-request-buffer-limit-bytes: 65536
 * }</pre>
 *
 * @param retryOn conditions: {@code connect-failure}, {@code reset}, {@code 5xx}, {@code gateway-error},
 *     {@code retriable-status-codes}; default {@code [connect-failure, reset]}
 * @param retriableStatusCodes codes retried (they imply {@code retriable-status-codes} in {@code retry-on})
 * @param maxRetries further attempts, 0-10, default the route's {@code retries} (1)
 * @param perTryTimeoutMs how long one attempt waits for its response head, default none
 * @param backoff the wait before each retry, default Envoy's (25 ms base, 250 ms max, full jitter)
 * @param perRequestBufferLimitBytes request body bytes kept for replay, default 65536, 0 none
 */
public record RetryConfig(List<String> retryOn, List<Integer> retriableStatusCodes, Integer maxRetries,
    Long perTryTimeoutMs, BackoffConfig backoff, Integer perRequestBufferLimitBytes) {

  public RetryConfig(List<String> retryOn, List<Integer> retriableStatusCodes, Integer maxRetries,
      Long perTryTimeoutMs) {
    this(retryOn, retriableStatusCodes, maxRetries, perTryTimeoutMs, null, null);
  }

  public RetryConfig {
    retryOn = retryOn == null ? List.of("connect-failure", "reset") : List.copyOf(retryOn);
    retriableStatusCodes = retriableStatusCodes == null ? List.of() : List.copyOf(retriableStatusCodes);
    Checks.checkArgument(perTryTimeoutMs == null || perTryTimeoutMs > 0, "per-try-timeout-ms: %s (expected: > 0)",
        perTryTimeoutMs);
    // validates (the fields are not assigned yet inside this constructor: pass the parameters)
    policy(retryOn, retriableStatusCodes, maxRetries, perTryTimeoutMs, backoff, perRequestBufferLimitBytes, 1);
  }

  /** @param routeRetries the route's {@code retries}, the default of {@code max-retries} */
  public RetryPolicy toPolicy(int routeRetries) {
    return policy(retryOn, retriableStatusCodes, maxRetries, perTryTimeoutMs, backoff, perRequestBufferLimitBytes,
        routeRetries);
  }

  private static RetryPolicy policy(List<String> retryOn, List<Integer> retriableStatusCodes, Integer maxRetries,
      Long perTryTimeoutMs, BackoffConfig backoff, Integer perRequestBufferLimitBytes, int routeRetries) {
    Set<RetryPolicy.On> on = new HashSet<>();
    for (String name : retryOn) {
      on.add(RetryPolicy.On.parse(name));
    }
    if (!retriableStatusCodes.isEmpty()) {
      on.add(RetryPolicy.On.RETRIABLE_STATUS_CODES);
    }
    return new RetryPolicy(on, Set.copyOf(retriableStatusCodes), maxRetries == null ? routeRetries : maxRetries,
        perTryTimeoutMs == null ? null : Duration.ofMillis(perTryTimeoutMs), true,
        backoff == null ? RetryBackoff.DEFAULT : backoff.toBackoff(),
        perRequestBufferLimitBytes == null ? RetryPolicy.DEFAULT_BUFFER_LIMIT_BYTES : perRequestBufferLimitBytes);
  }
}
