package io.muster.gateway.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/** {@code jdk} or {@code openssl} from the configuration to Netty's provider, with a clear error when missing. */
final class TlsProvider {

  private TlsProvider() {}

  static SslProvider of(boolean openSsl, String key) {
    if (!openSsl) {
      return SslProvider.JDK;
    }
    if (!OpenSsl.isAvailable()) {
      Throwable why = OpenSsl.unavailabilityCause();
      throw new IllegalArgumentException(key + ": openssl is not available (netty-tcnative-boringssl-static missing"
          + " or not loadable: " + (why == null ? "unknown" : why.getMessage()) + "); use jdk");
    }
    return SslProvider.OPENSSL;
  }
}
