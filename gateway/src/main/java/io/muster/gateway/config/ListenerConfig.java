package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.positiveMillis;

/**
 * A proxy listener.
 *
 * @param host address to bind, default {@code 0.0.0.0}
 * @param port port to bind, 0 for any free port
 * @param idleTimeoutMs an idle keep-alive client connection is closed after this long, default 60000
 * @param http2 accept HTTP/2: by ALPN ({@code h2}) on a TLS listener, by prior knowledge or
 *     {@code Upgrade: h2c} on a plaintext one; default true
 * @param maxConcurrentStreams HTTP/2 streams one client connection may have open, default 100
 * @param tls TLS termination, optional (default plaintext)
 */
public record ListenerConfig(String host, Integer port, Long idleTimeoutMs, Boolean http2, Integer maxConcurrentStreams,
    ListenerTlsConfig tls) {

  public ListenerConfig(String host, Integer port, Long idleTimeoutMs) {
    this(host, port, idleTimeoutMs, null, null, null);
  }

  public ListenerConfig {
    http2 = http2 == null || http2;
    maxConcurrentStreams = maxConcurrentStreams == null ? 100 : maxConcurrentStreams;
    Checks.checkArgument(maxConcurrentStreams >= 1 && maxConcurrentStreams <= 10_000,
        "max-concurrent-streams: %s (expected: 1-10000)", maxConcurrentStreams);
    host = host == null || host.isBlank() ? "0.0.0.0" : host;
    Checks.port(port, "port");
    idleTimeoutMs = positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
  }

  public static ListenerConfig of(String host, int port) {
    return new ListenerConfig(host, port, null);
  }
}
