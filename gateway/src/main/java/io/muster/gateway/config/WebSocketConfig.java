package io.muster.gateway.config;

import io.muster.gateway.route.WebSocketPolicy;
import java.time.Duration;

/**
 * {@code Upgrade} pass-through (WebSocket) of a route.
 *
 * @param enabled forward {@code Upgrade} requests and relay the connection after {@code 101}, default true
 * @param idleTimeoutMs a relayed connection with no byte either way for this long is closed, default 300000
 */
public record WebSocketConfig(Boolean enabled, Long idleTimeoutMs) {

  public WebSocketConfig {
    enabled = enabled == null || enabled;
    idleTimeoutMs = Checks.positiveMillis(idleTimeoutMs, WebSocketPolicy.DEFAULT.idleTimeout().toMillis(),
        "websocket.idle-timeout-ms");
  }

  public WebSocketPolicy toPolicy() {
    return new WebSocketPolicy(enabled, Duration.ofMillis(idleTimeoutMs));
  }
}
