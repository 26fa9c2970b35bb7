package io.muster.gateway.config;

import java.util.Locale;

/** The {@code provider} key of TLS settings: {@code jdk} or {@code openssl}. */
final class TlsProviders {

  private TlsProviders() {}

  static String check(String provider, String key) {
    String p = provider == null || provider.isBlank() ? "jdk" : provider.toLowerCase(Locale.ROOT);
    Checks.checkArgument(p.equals("jdk") || p.equals("openssl"), "%s: '%s' (expected: jdk, openssl)", key, provider);
    return p;
  }
}
