package io.muster.gateway.ratelimit;

import io.muster.gateway.route.Route;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The token bucket of each rate-limited route, shared by every listener and event loop (a route's
 * limit is for the whole gateway). Built once at start, read-only afterwards: looked up by the
 * route object's identity, which costs no hashing of the route's fields on the request path.
 */
public final class RouteLimits {

  private static final RouteLimits NONE = new RouteLimits(Map.of(), System::nanoTime);

  private final Map<Route, TokenBucket> buckets;

  private RouteLimits(Map<Route, RateLimit> limits, LongSupplier nanoClock) {
    Map<Route, TokenBucket> m = new IdentityHashMap<>();
    limits.forEach((route, limit) -> m.put(route, new TokenBucket(limit, nanoClock)));
    this.buckets = m;
  }

  /** No route is limited. */
  public static RouteLimits none() {
    return NONE;
  }

  /** @param limits the limit of each limited route (routes not in the map are not limited) */
  public static RouteLimits of(Map<Route, RateLimit> limits, LongSupplier nanoClock) {
    return limits.isEmpty() ? NONE : new RouteLimits(limits, nanoClock);
  }

  /** The bucket of {@code route}, or null when it has no limit. */
  public TokenBucket bucket(Route route) {
    return buckets.isEmpty() ? null : buckets.get(route);
  }
}
