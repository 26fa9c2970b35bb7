package io.muster.gateway.route;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

/**
 * Where a request's affinity key for consistent hashing comes from: a header or a cookie (exactly one).
 *
 * @param header request header name, or {@code null}
 * @param cookie cookie name, or {@code null}
 */
public record HashKeySource(String header, String cookie) {

  public HashKeySource {
    header = blankToNull(header);
    cookie = blankToNull(cookie);
    if ((header == null) == (cookie == null)) {
      throw new IllegalArgumentException("hash-key: set exactly one of header, cookie");
    }
  }

  public static HashKeySource header(String name) {
    return new HashKeySource(name, null);
  }

  public static HashKeySource cookie(String name) {
    return new HashKeySource(null, name);
  }

  /** The key of this request, or {@code null} if it carries none. */
  public String extract(HttpHeaders headers) {
    if (header != null) {
      return headers.get(header);
    }
    for (String value : headers.getAll(HttpHeaderNames.COOKIE)) {
      for (Cookie c : ServerCookieDecoder.LAX.decode(value)) {
        if (c.name().equals(cookie)) {
          return c.value();
        }
      }
    }
    return null;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
