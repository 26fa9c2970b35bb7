package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.positiveMillis;

import io.muster.gateway.proxy.Http2Limits;

/**
 * A proxy listener.
 *
 * @param host address to bind, default {@code 0.0.0.0}
 * @param port port to bind, 0 for any free port
 * @param idleTimeoutMs an idle keep-alive client connection is closed after this long, default 60000
 * @param http2 accept HTTP/2: by ALPN ({@code h2}) on a TLS listener, by prior knowledge or
 *     {@code Upgrade: h2c} on a plaintext one; default true
 * @param maxConcurrentStreams HTTP/2 streams one client connection may have open, default 100
 * @param maxHeaderListBytes HTTP/2 decoded request header block, default 65536
 * @param maxOutboundControlFrames HTTP/2 acknowledgements and resets queued for a client that does not
 *     read them, default 1000 (PING / SETTINGS floods)
 * @param maxConsecutiveEmptyFrames HTTP/2 DATA frames without payload in a row, default 1
 * @param maxResetsPerWindow HTTP/2 RST_STREAM frames per {@code reset-window-seconds}, default 200
 *     (rapid reset)
 * @param resetWindowSeconds default 30
 * @param tls TLS termination, optional (default plaintext)
 * @see Http2Limits
 */
public record ListenerConfig(String host, Integer port, Long idleTimeoutMs, Boolean http2, Integer maxConcurrentStreams,
    Integer maxHeaderListBytes, Integer maxOutboundControlFrames, Integer maxConsecutiveEmptyFrames,
    Integer maxResetsPerWindow, Integer resetWindowSeconds, ListenerTlsConfig tls) {

  public ListenerConfig(String host, Integer port, Long idleTimeoutMs) {
    this(host, port, idleTimeoutMs, null, null, null, null, null, null, null, null);
  }

  public ListenerConfig {
    http2 = http2 == null || http2;
    maxConcurrentStreams = orDefault(maxConcurrentStreams, Http2Limits.DEFAULT_MAX_CONCURRENT_STREAMS);
    maxHeaderListBytes = orDefault(maxHeaderListBytes, Http2Limits.DEFAULT_MAX_HEADER_LIST_BYTES);
    maxOutboundControlFrames = orDefault(maxOutboundControlFrames, Http2Limits.DEFAULT_MAX_OUTBOUND_CONTROL_FRAMES);
    maxConsecutiveEmptyFrames = orDefault(maxConsecutiveEmptyFrames, Http2Limits.DEFAULT_MAX_CONSECUTIVE_EMPTY_FRAMES);
    maxResetsPerWindow = orDefault(maxResetsPerWindow, Http2Limits.DEFAULT_MAX_RESETS_PER_WINDOW);
    resetWindowSeconds = orDefault(resetWindowSeconds, Http2Limits.DEFAULT_RESET_WINDOW_SECONDS);
    host = host == null || host.isBlank() ? "0.0.0.0" : host;
    Checks.port(port, "port");
    idleTimeoutMs = positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
    new Http2Limits(maxConcurrentStreams, maxHeaderListBytes, maxOutboundControlFrames, maxConsecutiveEmptyFrames,
        maxResetsPerWindow, resetWindowSeconds); // validates, naming the key
  }

  private static int orDefault(Integer value, int defaultValue) {
    return value == null ? defaultValue : value;
  }

  public static ListenerConfig of(String host, int port) {
    return new ListenerConfig(host, port, null);
  }

  /** The HTTP/2 limits of this listener. */
  public Http2Limits http2Limits() {
    return new Http2Limits(maxConcurrentStreams, maxHeaderListBytes, maxOutboundControlFrames,
        maxConsecutiveEmptyFrames, maxResetsPerWindow, resetWindowSeconds);
  }
}
