package io.muster.gateway.config;

/**
 * The admin endpoint ({@code GET /pools}, {@code GET /metrics}).
 *
 * @param host address to bind, default {@code 127.0.0.1}: the admin endpoint is not for the public
 * @param port port to bind, 0 for any free port
 */
public record AdminConfig(String host, Integer port) {

  public AdminConfig {
    host = host == null || host.isBlank() ? "127.0.0.1" : host;
    Checks.port(port, "port");
  }
}
