package io.muster.gateway.config;

import io.muster.gateway.route.HashKeySource;

/**
 * Affinity key for {@code consistent-hash}: exactly one of a header or a cookie.
 *
 * @param header request header name
 * @param cookie cookie name
 */
public record HashKeyConfig(String header, String cookie) {

  public HashKeyConfig {
    toSource(header, cookie); // validates
  }

  public HashKeySource toSource() {
    return toSource(header, cookie);
  }

  private static HashKeySource toSource(String header, String cookie) {
    return new HashKeySource(header, cookie);
  }
}
