package io.muster.gateway.route;

import io.muster.gateway.lb.Strategy;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * One routing rule: requests whose Host and path prefix match go to {@code service}.
 *
 * @param name for metrics and logs
 * @param host Host to match (case-insensitive, port ignored), or {@code null} for any
 * @param prefix path prefix to match (plain string prefix, {@code /} matches everything)
 * @param service target service
 * @param rewrite replacement for the matched prefix, or {@code null} to forward the path as is
 * @param strategy load-balancing algorithm
 * @param hashKey affinity key source, required by {@link Strategy#CONSISTENT_HASH}
 * @param connectTimeout per connection attempt
 * @param requestTimeout from dispatch to the response headers
 * @param idleTimeout longest silence while a body streams in either direction
 * @param retries extra attempts, each on a different endpoint
 * @param canary canary split, or {@code null}
 * @param protocol {@link Protocol#GRPC} forwards over HTTP/2 and answers errors as gRPC statuses
 * @param upstreamHttp2 speak HTTP/2 to the backends (always for gRPC); HTTP/1.1 otherwise
 * @param upstreamTls TLS to the backends, or {@code null} for plaintext
 * @param policies retries, {@code Upgrade} pass-through and zone awareness ({@code null}: the defaults,
 *     with {@code retries} as the legacy retry rule)
 */
public record Route(String name, String host, String prefix, String service, String rewrite, Strategy strategy,
    HashKeySource hashKey, Duration connectTimeout, Duration requestTimeout, Duration idleTimeout, int retries,
    CanaryPolicy canary, Protocol protocol, boolean upstreamHttp2, UpstreamTls upstreamTls, RoutePolicies policies) {

  /** A route with the default policies. */
  public Route(String name, String host, String prefix, String service, String rewrite, Strategy strategy,
      HashKeySource hashKey, Duration connectTimeout, Duration requestTimeout, Duration idleTimeout, int retries,
      CanaryPolicy canary, Protocol protocol, boolean upstreamHttp2, UpstreamTls upstreamTls) {
    this(name, host, prefix, service, rewrite, strategy, hashKey, connectTimeout, requestTimeout, idleTimeout, retries,
        canary, protocol, upstreamHttp2, upstreamTls, null);
  }

  /** An HTTP route over plaintext HTTP/1.1 to its backends. */
  public Route(String name, String host, String prefix, String service, String rewrite, Strategy strategy,
      HashKeySource hashKey, Duration connectTimeout, Duration requestTimeout, Duration idleTimeout, int retries,
      CanaryPolicy canary) {
    this(name, host, prefix, service, rewrite, strategy, hashKey, connectTimeout, requestTimeout, idleTimeout, retries,
        canary, Protocol.HTTP, false, null, null);
  }

  public Route {
    protocol = protocol == null ? Protocol.HTTP : protocol;
    upstreamHttp2 = upstreamHttp2 || protocol == Protocol.GRPC;
    Objects.requireNonNull(service, "service");
    prefix = prefix == null || prefix.isEmpty() ? "/" : prefix;
    if (!prefix.startsWith("/")) {
      throw new IllegalArgumentException("prefix: '" + prefix + "' (expected: starts with /)");
    }
    host = host == null || host.isBlank() ? null : host.toLowerCase(Locale.ROOT);
    name = name == null || name.isBlank() ? service + (host == null ? "" : "@" + host) + prefix : name;
    strategy = strategy == null ? Strategy.ROUND_ROBIN : strategy;
    if (strategy == Strategy.CONSISTENT_HASH && hashKey == null) {
      throw new IllegalArgumentException("hash-key: required by strategy consistent-hash");
    }
    requirePositive("connect-timeout", connectTimeout);
    requirePositive("request-timeout", requestTimeout);
    requirePositive("idle-timeout", idleTimeout);
    if (retries < 0 || retries > 10) {
      throw new IllegalArgumentException("retries: " + retries + " (expected: 0-10)");
    }
    policies = policies == null ? RoutePolicies.defaults(retries) : policies;
  }

  private static void requirePositive(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + ": " + d.toMillis() + " ms (expected: > 0)");
    }
  }

  /** A route to {@code service} for {@code prefix} with default timeouts and round robin. */
  public static Route simple(String prefix, String service) {
    return new Route(null, null, prefix, service, null, Strategy.ROUND_ROBIN, null, Duration.ofSeconds(1),
        Duration.ofSeconds(15), Duration.ofSeconds(60), 1, null);
  }

  /** A copy that forwards {@code protocol} over HTTP/2 with {@code upstreamTls} (null: plaintext). */
  public Route withProtocol(Protocol protocol, UpstreamTls upstreamTls) {
    return new Route(name, host, prefix, service, rewrite, strategy, hashKey, connectTimeout, requestTimeout,
        idleTimeout, retries, canary, protocol, true, upstreamTls, policies);
  }

  /** A copy with {@code policies}. */
  public Route withPolicies(RoutePolicies policies) {
    return new Route(name, host, prefix, service, rewrite, strategy, hashKey, connectTimeout, requestTimeout,
        idleTimeout, retries, canary, protocol, upstreamHttp2, upstreamTls, policies);
  }

  /** True if a request for {@code host} (lower-case, no port) and {@code path} is routed here. */
  public boolean matches(String requestHost, String path) {
    return (host == null || host.equals(requestHost)) && path.startsWith(prefix);
  }

  /** The URI to send upstream: the matched prefix replaced by {@link #rewrite()}, query kept. */
  public String rewriteUri(String uri) {
    if (rewrite == null || !uri.startsWith(prefix)) {
      return uri;
    }
    String rest = uri.substring(prefix.length());
    String out = rewrite + rest;
    if (out.isEmpty() || out.charAt(0) != '/') {
      out = "/" + out;
    }
    return out.startsWith("//") ? out.substring(1) : out;
  }
}
