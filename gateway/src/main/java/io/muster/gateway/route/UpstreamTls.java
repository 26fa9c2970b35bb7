package io.muster.gateway.route;

import java.nio.file.Path;

/**
 * TLS to a route's backends. Equal values share upstream connection pools.
 *
 * @param caFile CA certificates (PEM) that backends' certificates must chain to, or {@code null} for
 *     the JDK's trust store
 * @param serverName SNI name sent and verified, or {@code null} for the instance's host
 * @param certFile client certificate chain for mTLS, or {@code null}
 * @param keyFile its private key, or {@code null}
 * @param verify verify the chain and the name (false only for tests against self-signed backends)
 * @param openSsl use netty-tcnative's OpenSSL (BoringSSL) instead of the JDK's TLS
 */
public record UpstreamTls(Path caFile, String serverName, Path certFile, Path keyFile, boolean verify,
    boolean openSsl) {

  public UpstreamTls {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("upstream-tls: cert-file and key-file go together");
    }
  }
}
