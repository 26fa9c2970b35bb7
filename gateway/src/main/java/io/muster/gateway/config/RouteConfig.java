package io.muster.gateway.config;

import io.muster.gateway.lb.Strategy;
import io.muster.gateway.route.Protocol;
import io.muster.gateway.route.RetryPolicy;
import io.muster.gateway.route.Route;
import io.muster.gateway.route.RoutePolicies;
import io.muster.gateway.route.UpstreamTls;
import java.time.Duration;

/**
 * A route: requests matching {@code host} and {@code prefix} go to {@code service}.
 *
 * @param name for metrics and logs, default {@code service@host/prefix}
 * @param prefix path prefix, default {@code /}
 * @param host Host header to match, default any
 * @param service target service, required: {@code orders} (in the registry client's namespace,
 *     {@code default}) or {@code shop/orders} (service {@code orders} of namespace {@code shop})
 * @param rewrite replacement of the prefix in the forwarded path, default none
 * @param strategy {@code round-robin} (default), {@code weighted-round-robin}, {@code least-request},
 *     {@code peak-ewma}, {@code consistent-hash}
 * @param hashKey affinity key, required by consistent-hash
 * @param connectTimeoutMs per connection attempt, default 1000
 * @param requestTimeoutMs end of request to response head, default 15000
 * @param idleTimeoutMs longest silence while bodies stream, default 60000
 * @param retries attempts on other endpoints, 0-10, default 1
 * @param canary canary split, optional
 * @param protocol {@code http} (default) or {@code grpc} (HTTP/2 to the backends, per-call balancing,
 *     errors as gRPC statuses, {@code grpc-timeout} honoured)
 * @param upstreamProtocol {@code http1} (default for http) or {@code h2} (the default, and the only choice, for grpc)
 * @param upstreamTls TLS to the backends, optional (default plaintext)
 * @param rateLimit local rate limit (token bucket), optional; {@code 429} / {@code RESOURCE_EXHAUSTED} beyond it
 * @param retry Envoy-style retry rules, optional (default: {@code retries} attempts after connect failures
 *     and resets, on endpoints not tried yet)
 * @param websocket {@code Upgrade} pass-through, optional (default on, 5 minutes idle)
 * @param zoneAware prefer the gateway's zone, optional (default off)
 */
public record RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
    HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
    CanaryConfig canary, String protocol, String upstreamProtocol, UpstreamTlsConfig upstreamTls,
    RateLimitConfig rateLimit, RetryConfig retry, WebSocketConfig websocket, ZoneAwareConfig zoneAware) {

  /** A route without rate-limit, retry, websocket and zone-aware sections. */
  public RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
      HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
      CanaryConfig canary, String protocol, String upstreamProtocol, UpstreamTlsConfig upstreamTls) {
    this(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary, protocol, upstreamProtocol, upstreamTls, null, null, null, null);
  }

  /** A route with a rate limit and without retry, websocket and zone-aware sections. */
  public RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
      HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
      CanaryConfig canary, String protocol, String upstreamProtocol, UpstreamTlsConfig upstreamTls,
      RateLimitConfig rateLimit) {
    this(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary, protocol, upstreamProtocol, upstreamTls, rateLimit, null, null, null);
  }

  /** A route with retry, websocket and zone-aware sections and no rate limit. */
  public RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
      HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
      CanaryConfig canary, String protocol, String upstreamProtocol, UpstreamTlsConfig upstreamTls,
      RetryConfig retry, WebSocketConfig websocket, ZoneAwareConfig zoneAware) {
    this(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary, protocol, upstreamProtocol, upstreamTls, null, retry, websocket, zoneAware);
  }

  /** A plaintext HTTP route (the keys that existed before protocol and upstream-tls). */
  public RouteConfig(String name, String prefix, String host, String service, String rewrite, Strategy strategy,
      HashKeyConfig hashKey, Long connectTimeoutMs, Long requestTimeoutMs, Long idleTimeoutMs, Integer retries,
      CanaryConfig canary) {
    this(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary, null, null, null, null, null, null, null);
  }

  public RouteConfig {
    Checks.required(service, "service");
    checkNamespace(service);
    connectTimeoutMs = Checks.positiveMillis(connectTimeoutMs, 1_000, "connect-timeout-ms");
    requestTimeoutMs = Checks.positiveMillis(requestTimeoutMs, 15_000, "request-timeout-ms");
    idleTimeoutMs = Checks.positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
    Checks.checkArgument(retries == null || retry == null || retry.maxRetries() == null,
        "retries: set either retries or retry.max-retries, not both");
    retries = retries == null ? 1 : retries;
    protocol = Protocol.parse(protocol, "protocol").configName();
    upstreamProtocol = upstreamProtocol == null || upstreamProtocol.isBlank() ? null : upstreamProtocol;
    Checks.checkArgument(upstreamProtocol == null || upstreamProtocol.equals("http1") || upstreamProtocol.equals("h2"),
        "upstream-protocol: '%s' (expected: http1, h2)", upstreamProtocol);
    Checks.checkArgument(!(protocol.equals("grpc") && "http1".equals(upstreamProtocol)),
        "upstream-protocol: http1 cannot carry protocol grpc (gRPC needs h2; leave upstream-protocol out)");
    route(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs, idleTimeoutMs,
        retries, canary, protocol, upstreamProtocol, upstreamTls)
        .withPolicies(policies(retry, websocket, zoneAware, retries)); // validates the combination
  }

  /** The namespace part of {@code shop/orders}: a namespace name, one slash at most. */
  private static void checkNamespace(String service) {
    int slash = service.indexOf('/');
    if (slash < 0) {
      return;
    }
    String namespace = service.substring(0, slash);
    String name = service.substring(slash + 1);
    Checks.checkArgument(!name.isEmpty() && name.indexOf('/') < 0,
        "service: '%s' (expected: <service> or <namespace>/<service>)", service);
    try {
      io.muster.client.Namespaces.check("service namespace", namespace);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service: '" + service + "' (expected: <namespace>/<service> with a namespace of "
          + io.muster.client.Namespaces.RULE + ")");
    }
  }

  public Route toRoute() {
    return route(name, prefix, host, service, rewrite, strategy, hashKey, connectTimeoutMs, requestTimeoutMs,
        idleTimeoutMs, retries, canary, protocol, upstreamProtocol, upstreamTls)
        .withPolicies(policies(retry, websocket, zoneAware, retries));
  }

  private static RoutePolicies policies(RetryConfig retry, WebSocketConfig websocket, ZoneAwareConfig zoneAware,
      int retries) {
    return new RoutePolicies(retry == null ? RetryPolicy.legacy(retries) : retry.toPolicy(retries),
        websocket == null ? null : websocket.toPolicy(), zoneAware == null ? null : zoneAware.toPolicy());
  }

  private static Route route(String name, String prefix, String host, String service, String rewrite,
      Strategy strategy, HashKeyConfig hashKey, long connectMs, long requestMs, long idleMs, int retries,
      CanaryConfig canary, String protocol, String upstreamProtocol, UpstreamTlsConfig upstreamTls) {
    Route route = build(name, prefix, host, service, rewrite, strategy, hashKey, connectMs, requestMs, idleMs, retries,
        canary);
    Protocol p = Protocol.parse(protocol, "protocol");
    boolean h2 = "h2".equals(upstreamProtocol) || p == Protocol.GRPC;
    UpstreamTls tls = upstreamTls == null ? null : upstreamTls.toUpstreamTls();
    return p == Protocol.HTTP && !h2 && tls == null ? route
        : new Route(route.name(), route.host(), route.prefix(), route.service(), route.rewrite(), route.strategy(),
            route.hashKey(), route.connectTimeout(), route.requestTimeout(), route.idleTimeout(), route.retries(),
            route.canary(), p, h2, tls);
  }

  private static Route build(String name, String prefix, String host, String service, String rewrite,
      Strategy strategy, HashKeyConfig hashKey, long connectMs, long requestMs, long idleMs, int retries,
      CanaryConfig canary) {
    return new Route(name, host, prefix, service, rewrite, strategy, hashKey == null ? null : hashKey.toSource(),
        Duration.ofMillis(connectMs), Duration.ofMillis(requestMs), Duration.ofMillis(idleMs), retries,
        canary == null ? null : canary.toPolicy());
  }
}
