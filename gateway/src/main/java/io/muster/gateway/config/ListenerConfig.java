package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.positiveMillis;

/**
 * A proxy listener.
 *
 * @param host address to bind, default {@code 0.0.0.0}
 * @param port port to bind, 0 for any free port
 * @param idleTimeoutMs an idle keep-alive client connection is closed after this long, default 60000
 */
public record ListenerConfig(String host, Integer port, Long idleTimeoutMs) {

  public ListenerConfig {
    host = host == null || host.isBlank() ? "0.0.0.0" : host;
    Checks.port(port, "port");
    idleTimeoutMs = positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
  }

  public static ListenerConfig of(String host, int port) {
    return new ListenerConfig(host, port, null);
  }
}
