package io.muster.gateway.route;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Finds the route of a request. Routes with a Host beat routes without one; among those, the longest
 * prefix wins; equal candidates keep configuration order.
 */
public final class Router {

  private final List<RouteBalancer> routes;

  public Router(List<RouteBalancer> routes) {
    List<RouteBalancer> sorted = new ArrayList<>(routes);
    sorted.sort(Comparator.<RouteBalancer>comparingInt(r -> r.route().host() == null ? 1 : 0)
        .thenComparing(r -> -r.route().prefix().length()));
    this.routes = List.copyOf(sorted);
  }

  /**
   * @param hostHeader the request's Host header (may carry a port), or {@code null}
   * @param uri request target; the query is ignored for matching
   * @return the route's balancer, or {@code null} when no route matches
   */
  public RouteBalancer match(String hostHeader, String uri) {
    String host = normalizeHost(hostHeader);
    int q = uri.indexOf('?');
    String path = q >= 0 ? uri.substring(0, q) : uri;
    for (RouteBalancer r : routes) {
      if (r.route().matches(host, path)) {
        return r;
      }
    }
    return null;
  }

  public List<RouteBalancer> routes() {
    return routes;
  }

  static String normalizeHost(String hostHeader) {
    if (hostHeader == null) {
      return "";
    }
    String h = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 0 ? h.substring(0, end + 1) : h;
    }
    int colon = h.indexOf(':');
    return colon >= 0 ? h.substring(0, colon) : h;
  }
}
