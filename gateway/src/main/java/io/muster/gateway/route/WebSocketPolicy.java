package io.muster.gateway.route;

import java.time.Duration;

/**
 * {@code Upgrade} pass-through of a route (WebSocket and any other token but {@code h2c}, which the
 * listener handles): the request goes to the backend with its {@code Upgrade}, and on a {@code 101}
 * both connections become a byte relay until either side closes or nothing moves for
 * {@code idleTimeout}.
 *
 * @param enabled false strips {@code Upgrade} as any hop-by-hop header
 * @param idleTimeout a relay in which no byte moved either way for this long is closed
 */
public record WebSocketPolicy(boolean enabled, Duration idleTimeout) {

  /** On, with a five-minute idle timeout. */
  public static final WebSocketPolicy DEFAULT = new WebSocketPolicy(true, Duration.ofMinutes(5));

  public WebSocketPolicy {
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("websocket.idle-timeout-ms: "
          + (idleTimeout == null ? null : idleTimeout.toMillis()) + " (expected: > 0)");
    }
  }
}
