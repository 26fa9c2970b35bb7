package io.muster.gateway.route;

import java.util.Objects;

/**
 * How a route retries, upgrades connections and weighs zones; kept apart from {@link Route}'s matching
 * and connection settings.
 *
 * @param retry when and how often a request is sent again
 * @param webSocket {@code Upgrade} pass-through
 * @param zoneAware preference for the gateway's own zone
 */
public record RoutePolicies(RetryPolicy retry, WebSocketPolicy webSocket, ZoneAwarePolicy zoneAware) {

  public RoutePolicies {
    Objects.requireNonNull(retry, "retry");
    webSocket = webSocket == null ? WebSocketPolicy.DEFAULT : webSocket;
    zoneAware = zoneAware == null ? ZoneAwarePolicy.OFF : zoneAware;
  }

  /** The policies of a route that says only {@code retries}. */
  public static RoutePolicies defaults(int retries) {
    return new RoutePolicies(RetryPolicy.legacy(retries), WebSocketPolicy.DEFAULT, ZoneAwarePolicy.OFF);
  }
}
