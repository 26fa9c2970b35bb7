package io.muster.gateway.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The headers of an {@code Upgrade} pass-through: which protocols a request asks for ({@code h2c} is
 * the listener's business, never forwarded), and the hop-by-hop pair put back on each hop.
 */
final class Upgrades {

  private Upgrades() {}

  /**
   * The protocols to forward in {@code Upgrade}, or {@code null} when the request asks for none (no
   * {@code Upgrade}, no {@code upgrade} token in {@code Connection}, or only {@code h2c}). Read it
   * before the headers are rewritten for the backend.
   */
  static String requested(HttpHeaders h) {
    String value = h.get(HttpHeaderNames.UPGRADE);
    if (value == null || !h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    for (String token : value.split(",")) {
      String t = token.trim();
      if (!t.isEmpty() && !t.equalsIgnoreCase("h2c")) {
        out.append(out.length() == 0 ? "" : ", ").append(t);
      }
    }
    return out.length() == 0 ? null : out.toString();
  }

  /** Puts {@code Connection: upgrade} and {@code Upgrade} back after the hop-by-hop headers went. */
  static void restore(HttpHeaders h, String protocols) {
    h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    h.set(HttpHeaderNames.UPGRADE, protocols);
  }

  /** The backend's {@code 101} for the client: its headers, hop-by-hop ones redone for this hop. */
  static FullHttpResponse switchingHead(HttpResponse backend) {
    HttpHeaders h = backend.headers();
    String protocol = h.get(HttpHeaderNames.UPGRADE);
    ProxyHeaders.removeHopByHop(h);
    if (protocol != null) {
      restore(h, protocol);
    } else {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    }
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, backend.status(), Unpooled.EMPTY_BUFFER, h,
        EmptyHttpHeaders.INSTANCE);
  }
}
