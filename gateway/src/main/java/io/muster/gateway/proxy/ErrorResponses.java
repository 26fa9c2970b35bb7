package io.muster.gateway.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The gateway's own short plain-text answers (404, 408, 502, 503, 504). */
final class ErrorResponses {

  private ErrorResponses() {}

  /** E.g. {@code 503 Service Unavailable: no healthy instance of service 'orders'}. */
  static FullHttpResponse text(HttpVersion version, int code, String message, boolean keepAlive) {
    HttpResponseStatus status = HttpResponseStatus.valueOf(code);
    byte[] body = (code + " " + status.reasonPhrase() + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    r.headers().set("x-muster-gateway-error", Integer.toString(code));
    HttpUtil.setKeepAlive(r, keepAlive);
    return r;
  }

  /** A short reason for a failure, e.g. {@code ConnectException: Connection refused}. */
  static String describe(Throwable cause) {
    if (cause == null) {
      return "connection closed";
    }
    String m = cause.getMessage();
    return cause.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
