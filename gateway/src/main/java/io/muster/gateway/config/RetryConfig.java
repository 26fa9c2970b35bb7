package io.muster.gateway.config;

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
 * }</pre>
 *
 * @param retryOn conditions: {@code connect-failure}, {@code reset}, {@code 5xx}, {@code gateway-error},
 *     {@code retriable-status-codes}; default {@code [connect-failure, reset]}
 * @param retriableStatusCodes codes retried (they imply {@code retriable-status-codes} in {@code retry-on})
 * @param maxRetries further attempts, 0-10, default the route's {@code retries} (1)
 * @param perTryTimeoutMs how long one attempt waits for its response head, default none
 */
public record RetryConfig(List<String> retryOn, List<Integer> retriableStatusCodes, Integer maxRetries,
    Long perTryTimeoutMs) {

  public RetryConfig {
    retryOn = retryOn == null ? List.of("connect-failure", "reset") : List.copyOf(retryOn);
    retriableStatusCodes = retriableStatusCodes == null ? List.of() : List.copyOf(retriableStatusCodes);
    Checks.checkArgument(perTryTimeoutMs == null || perTryTimeoutMs > 0, "per-try-timeout-ms: %s (expected: > 0)",
        perTryTimeoutMs);
    policy(retryOn, retriableStatusCodes, maxRetries, perTryTimeoutMs, 1); // validates
  }

  /** @param routeRetries the route's {@code retries}, the default of {@code max-retries} */
  public RetryPolicy toPolicy(int routeRetries) {
    return policy(retryOn, retriableStatusCodes, maxRetries, perTryTimeoutMs, routeRetries);
  }

  private static RetryPolicy policy(List<String> retryOn, List<Integer> retriableStatusCodes, Integer maxRetries,
      Long perTryTimeoutMs, int routeRetries) {
    Set<RetryPolicy.On> on = new HashSet<>();
    for (String name : retryOn) {
      on.add(RetryPolicy.On.parse(name));
    }
    if (!retriableStatusCodes.isEmpty()) {
      on.add(RetryPolicy.On.RETRIABLE_STATUS_CODES);
    }
    return new RetryPolicy(on, Set.copyOf(retriableStatusCodes), maxRetries == null ? routeRetries : maxRetries,
        perTryTimeoutMs == null ? null : Duration.ofMillis(perTryTimeoutMs), true);
  }
}
