package io.muster.gateway.proxy;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Header rewriting at the proxy boundary: hop-by-hop headers (RFC 9110 section 7.6.1) stay on their
 * hop, {@code X-Forwarded-*} are added upstream, and message framing is redone for each side (the
 * codecs encode chunked bodies when {@code Transfer-Encoding: chunked} is set).
 *
 * <p>Both directions rewrite the incoming message's header object in place and wrap it in a new head
 * (copying headers was the largest allocation per proxied request): read everything you need from the
 * incoming headers (keep-alive, framing) before calling them.
 */
final class ProxyHeaders {

  static final String X_FORWARDED_FOR = "x-forwarded-for";
  static final String X_FORWARDED_PROTO = "x-forwarded-proto";
  static final String X_FORWARDED_HOST = "x-forwarded-host";
  private static final AsciiString PROXY_PREFIX = AsciiString.cached("proxy-");
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");

  /** The response head for the client and whether the client connection may stay open after it. */
  record ClientHead(HttpResponse response, boolean keepAlive) {}

  private ProxyHeaders() {}

  /**
   * The request to send upstream: HTTP/1.1, keep-alive, rewritten URI, forwarded-for headers. Rewrites
   * {@code in.headers()}: call it once per request and reuse the result for retries.
   */
  static HttpRequest toUpstream(HttpRequest in, String uri, SocketAddress client) {
    return toUpstream(in, uri, client, false);
  }

  /** As {@link #toUpstream(HttpRequest, String, SocketAddress)}; {@code secure}: the client came over TLS. */
  static HttpRequest toUpstream(HttpRequest in, String uri, SocketAddress client, boolean secure) {
    HttpHeaders h = in.headers();
    boolean chunked = HttpUtil.isTransferEncodingChunked(in);
    removeHopByHop(h);
    if (chunked) {
      h.remove(HttpHeaderNames.CONTENT_LENGTH);
      h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    if (client instanceof InetSocketAddress isa && isa.getAddress() != null) {
      String ip = isa.getAddress().getHostAddress();
      String prior = h.get(X_FORWARDED_FOR);
      h.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? ip : prior + ", " + ip);
    }
    h.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
    String host = h.get(HttpHeaderNames.HOST);
    if (host != null) {
      h.set(X_FORWARDED_HOST, host);
    }
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), uri, h);
  }

  /**
   * The response head for the client. Rewrites {@code in.headers()}.
   *
   * @param keepAlive whether the proxy wants to keep the client connection (request complete, client
   *     asked for it, not shutting down); a close-delimited body for an HTTP/1.0 client forces false
   */
  static ClientHead toClient(HttpResponse in, HttpRequest request, boolean keepAlive) {
    HttpVersion version = request.protocolVersion();
    HttpHeaders h = in.headers();
    boolean chunkedUpstream = HttpUtil.isTransferEncodingChunked(in);
    int code = in.status().code();
    boolean bodyless = HttpMethod.HEAD.equals(request.method()) || code == 204 || code == 304 || code < 200;
    removeHopByHop(h);
    if (!bodyless && (chunkedUpstream || !h.contains(HttpHeaderNames.CONTENT_LENGTH))) {
      h.remove(HttpHeaderNames.CONTENT_LENGTH);
      if (version.equals(HttpVersion.HTTP_1_1)) {
        h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      } else {
        keepAlive = false; // HTTP/1.0 has no chunking: the body ends when the connection does
      }
    }
    HttpResponse out = new DefaultHttpResponse(version, in.status(), h);
    HttpUtil.setKeepAlive(out, keepAlive);
    return new ClientHead(out, keepAlive);
  }

  /** Removes hop-by-hop headers, including any named by {@code Connection}. */
  static void removeHopByHop(HttpHeaders h) {
    if (h.isEmpty()) {
      return;
    }
    if (h.contains(HttpHeaderNames.CONNECTION)) {
      for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
        for (String token : value.split(",")) {
          String name = token.trim();
          if (!name.isEmpty()) {
            h.remove(name);
          }
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
    }
    h.remove(HttpHeaderNames.KEEP_ALIVE);
    h.remove(HttpHeaderNames.TE);
    h.remove(HttpHeaderNames.TRAILER);
    h.remove(HttpHeaderNames.TRANSFER_ENCODING);
    h.remove(HttpHeaderNames.UPGRADE);
    List<CharSequence> proxyHeaders = null;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
      CharSequence name = it.next().getKey();
      if (name.length() >= PROXY_PREFIX.length()
          && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length())) {
        if (proxyHeaders == null) {
          proxyHeaders = new ArrayList<>(2);
        }
        proxyHeaders.add(name);
      }
    }
    if (proxyHeaders != null) {
      proxyHeaders.forEach(h::remove);
    }
  }
}
