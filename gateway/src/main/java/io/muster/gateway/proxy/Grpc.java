package io.muster.gateway.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The bits of the gRPC wire protocol the gateway needs: recognizing a call, reading
 * {@code grpc-timeout}, and answering errors as gRPC statuses (a "trailers-only" response: HTTP 200,
 * {@code grpc-status} and {@code grpc-message} in the only HEADERS frame), which is what gRPC clients
 * understand; an HTTP 503 would reach the application as {@code UNAVAILABLE: HTTP status code 503}
 * at best.
 */
final class Grpc {

  static final AsciiString TIMEOUT = AsciiString.cached("grpc-timeout");
  static final AsciiString STATUS = AsciiString.cached("grpc-status");
  static final AsciiString MESSAGE = AsciiString.cached("grpc-message");
  private static final AsciiString CONTENT_TYPE = AsciiString.cached("application/grpc");

  static final int DEADLINE_EXCEEDED = 4;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;

  /** grpc-timeout has at most 8 digits (gRPC over HTTP/2 spec). */
  private static final int MAX_TIMEOUT_DIGITS = 8;

  private Grpc() {}

  static boolean isGrpc(HttpHeaders h) {
    String ct = h.get(HttpHeaderNames.CONTENT_TYPE);
    return ct != null && ct.regionMatches(true, 0, "application/grpc", 0, CONTENT_TYPE.length());
  }

  /** {@code grpc-timeout} in nanoseconds, or -1 when absent or malformed (then the route's timeouts apply alone). */
  static long timeoutNanos(String value) {
    if (value == null || value.length() < 2 || value.length() > MAX_TIMEOUT_DIGITS + 1) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < value.length() - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    TimeUnit unit = switch (value.charAt(value.length() - 1)) {
      case 'H' -> TimeUnit.HOURS;
      case 'M' -> TimeUnit.MINUTES;
      case 'S' -> TimeUnit.SECONDS;
      case 'm' -> TimeUnit.MILLISECONDS;
      case 'u' -> TimeUnit.MICROSECONDS;
      case 'n' -> TimeUnit.NANOSECONDS;
      default -> null;
    };
    return unit == null ? -1 : unit.toNanos(n);
  }

  /** The gRPC status for an HTTP status the gateway would have answered. */
  static int statusFor(int httpStatus) {
    return switch (httpStatus) {
      case 404 -> UNIMPLEMENTED; // no route for the method's path
      case 504 -> DEADLINE_EXCEEDED;
      case 429 -> RESOURCE_EXHAUSTED; // the route's rate limit
      case 502, 503, 408 -> UNAVAILABLE;
      default -> INTERNAL;
    };
  }

  /** A trailers-only answer: HTTP 200, the status in the one HEADERS frame that ends the stream. */
  static FullHttpResponse trailersOnly(HttpVersion version, int httpStatus, int grpcStatus, String message,
      boolean keepAlive) {
    FullHttpResponse r = new DefaultFullHttpResponse(version, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
    r.headers().setInt(STATUS, grpcStatus);
    r.headers().set(MESSAGE, percentEncode(message));
    r.headers().set("x-muster-gateway-error", Integer.toString(httpStatus));
    HttpUtil.setKeepAlive(r, keepAlive);
    return r;
  }

  /** Trailers that end a call whose response already started. */
  static LastHttpContent trailers(int grpcStatus, String message) {
    LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
    last.trailingHeaders().setInt(STATUS, grpcStatus);
    last.trailingHeaders().set(MESSAGE, percentEncode(message));
    return last;
  }

  /** grpc-message is percent-encoded UTF-8 (printable ASCII but '%' as is). */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
