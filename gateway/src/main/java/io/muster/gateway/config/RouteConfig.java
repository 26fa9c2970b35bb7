package io.muster.gateway.config;

import io.muster.gateway.lb.Strategy;
import io.muster.gateway.route.Route;
import java.time.Duration;

/**
 * A route: requests matching {@code host} and {@code prefix} go to {@code service}.
 *
 * @param name for metrics and logs, default {@code service@host/prefix}
 * @param prefix path prefix, default {@code /}
 * @param host Host header to match, default any
 * @param service target service, required
 * @param rewrite replacement of the prefix in the forwarded path, default none
 * @param strategy {@code round-robin} (default), {@code weighted-round-robin}, {@code least-request},
 *     {@code peak-ewma}, {@code consistent-hash}
 * @param hashKey affinity key, required by consistent-hash
 * @param connectTimeoutMs per connection attempt, default 1000
 * @param requestTimeoutMs end of request to response head, default 15000
 * @param idleTimeoutMs longest silence while bodies stream, default 60000
 * @param retries attempts on other endpoints, 0-10, default 1
 * @param canary canary split, optional
 */
public record RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
    HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
    CanaryConfig canary) {

  public RouteConfig {
    Checks.required(service, "service");
    connectTimeoutMs = Checks.positiveMillis(connectTimeoutMs, 1_000, "connect-timeout-ms");
    requestTimeoutMs = Checks.positiveMillis(requestTimeoutMs, 15_000, "request-timeout-ms");
    idleTimeoutMs = Checks.positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
    retries = retries == null ? 1 : retries;
    build(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary); // validates the combination
  }

  public Route toRoute() {
    return build(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs,
        idleTimeoutMs, retries, canary);
  }

  private static Route build(String name, String prefix, String host, String service, String rewrite,
      Strategy strategy, HashKeyConfig hashKey, long connectMs, long requestMs, long idleMs, int retries,
      CanaryConfig canary) {
    return new Route(name, host, prefix, service, rewrite, strategy, hashKey == null ? null : hashKey.toSource(),
        Duration.ofMillis(connectMs), Duration.ofMillis(requestMs), Duration.ofMillis(idleMs), retries,
        canary == null ? null : canary.toPolicy());
  }
}
