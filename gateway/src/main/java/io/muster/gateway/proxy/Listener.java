package io.muster.gateway.proxy;

import io.muster.gateway.tls.ServerCertificates;
import java.time.Duration;
import java.util.Objects;

/**
 * What one proxy listener accepts.
 *
 * @param host address to bind
 * @param port port, 0 for a free one
 * @param idleTimeout an idle client connection is closed after this long
 * @param http2 accept HTTP/2: ALPN {@code h2} with TLS; prior knowledge and {@code Upgrade: h2c} without
 * @param http2Limits what one HTTP/2 client connection may cost (streams, floods, header size)
 * @param tls certificates for TLS termination, or {@code null} for plaintext
 */
public record Listener(String host, int port, Duration idleTimeout, boolean http2, Http2Limits http2Limits,
    ServerCertificates tls) {

  public Listener {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    http2Limits = http2Limits == null ? Http2Limits.DEFAULTS : http2Limits;
  }

  /** Plaintext HTTP/1.1 only, as before HTTP/2 existed here. */
  public static Listener http1(String host, int port, Duration idleTimeout) {
    return new Listener(host, port, idleTimeout, false, Http2Limits.DEFAULTS, null);
  }
}
