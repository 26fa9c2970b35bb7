package io.muster.gateway.proxy;

import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * What one HTTP/2 client connection may cost the gateway, applied to every HTTP/2 listener (h2 by ALPN,
 * h2c by prior knowledge and by {@code Upgrade: h2c}) through Netty's own protections. A connection that
 * breaks a limit gets {@code GOAWAY ENHANCE_YOUR_CALM} and is closed; the other connections do not
 * notice. The Envoy {@code http2_protocol_options} each maps to is named.
 *
 * @param maxConcurrentStreams streams a client may have open (SETTINGS_MAX_CONCURRENT_STREAMS, enforced
 *     from the first frame, before the client acknowledged it); one more is refused with
 *     {@code RST_STREAM REFUSED_STREAM} and the connection stays (Envoy {@code max_concurrent_streams})
 * @param maxHeaderListBytes SETTINGS_MAX_HEADER_LIST_SIZE, the decoded header block of one request; a
 *     larger one is refused (Envoy {@code max_request_headers_kb})
 * @param maxOutboundControlFrames PING and SETTINGS acknowledgements and RST_STREAMs queued for a client
 *     that does not read them (PING / SETTINGS floods); beyond, the connection is closed (Envoy
 *     {@code max_outbound_control_frames})
 * @param maxConsecutiveEmptyFrames DATA frames without payload and without END_STREAM in a row (Envoy
 *     {@code max_consecutive_inbound_frames_with_empty_payload})
 * @param maxResetsPerWindow RST_STREAM frames a client may send per {@code resetWindowSeconds} (rapid
 *     reset, CVE-2023-44487; Envoy bounds it with its premature-reset overload settings); the same bound
 *     holds for the resets the gateway itself sends (refused streams, "MadeYouReset")
 * @param resetWindowSeconds the window of {@code maxResetsPerWindow}
 */
public record Http2Limits(int maxConcurrentStreams, int maxHeaderListBytes, int maxOutboundControlFrames,
    int maxConsecutiveEmptyFrames, int maxResetsPerWindow, int resetWindowSeconds) {

  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
  /** Envoy's {@code max_request_headers_kb} is 60 KiB. */
  public static final int DEFAULT_MAX_HEADER_LIST_BYTES = 64 * 1024;
  /** Envoy's default (Netty's is 10,000). */
  public static final int DEFAULT_MAX_OUTBOUND_CONTROL_FRAMES = 1_000;
  /** Envoy's default (Netty's is 2). */
  public static final int DEFAULT_MAX_CONSECUTIVE_EMPTY_FRAMES = 1;
  /** Netty's server default since 4.1.100. */
  public static final int DEFAULT_MAX_RESETS_PER_WINDOW = 200;
  public static final int DEFAULT_RESET_WINDOW_SECONDS = 30;
  /** CONTINUATION frames of under 8 KB in one header block (Netty's default, CVE-2024 CONTINUATION flood). */
  private static final int MAX_SMALL_CONTINUATION_FRAMES = 16;

  public static final Http2Limits DEFAULTS = new Http2Limits(DEFAULT_MAX_CONCURRENT_STREAMS,
      DEFAULT_MAX_HEADER_LIST_BYTES, DEFAULT_MAX_OUTBOUND_CONTROL_FRAMES, DEFAULT_MAX_CONSECUTIVE_EMPTY_FRAMES,
      DEFAULT_MAX_RESETS_PER_WINDOW, DEFAULT_RESET_WINDOW_SECONDS);

  public Http2Limits {
    check(maxConcurrentStreams, 1, 10_000, "max-concurrent-streams");
    check(maxHeaderListBytes, 4_096, 1 << 20, "max-header-list-bytes");
    check(maxOutboundControlFrames, 1, 1_000_000, "max-outbound-control-frames");
    check(maxConsecutiveEmptyFrames, 1, 1_000, "max-consecutive-empty-frames");
    check(maxResetsPerWindow, 1, 1_000_000, "max-resets-per-window");
    check(resetWindowSeconds, 1, 3_600, "reset-window-seconds");
  }

  /** The defaults with another stream limit. */
  public static Http2Limits withMaxConcurrentStreams(int maxConcurrentStreams) {
    Http2Limits d = DEFAULTS;
    return new Http2Limits(maxConcurrentStreams, d.maxHeaderListBytes, d.maxOutboundControlFrames,
        d.maxConsecutiveEmptyFrames, d.maxResetsPerWindow, d.resetWindowSeconds);
  }

  private static void check(int value, int min, int max, String key) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + min + "-" + max + ")");
    }
  }

  /** A server codec builder with these limits, every one set explicitly (none left to Netty's defaults). */
  Http2FrameCodecBuilder serverCodec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(maxConcurrentStreams)
            .maxHeaderListSize(maxHeaderListBytes))
        .encoderEnforceMaxQueuedControlFrames(maxOutboundControlFrames)
        .decoderEnforceMaxConsecutiveEmptyDataFrames(maxConsecutiveEmptyFrames)
        .decoderEnforceMaxRstFramesPerWindow(maxResetsPerWindow, resetWindowSeconds)
        .encoderEnforceMaxRstFramesPerWindow(maxResetsPerWindow, resetWindowSeconds)
        .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES);
  }
}
