package io.muster.gateway.config;

import io.muster.gateway.route.UpstreamTls;
import java.nio.file.Path;

/**
 * TLS from the gateway to a route's backends.
 *
 * <pre>{@code
 * upstream-tls:
 *   ca-file: /etc/muster/backends-ca.pem     # trust these CAs (default: the JDK's trust store)
 *   server-name: orders.internal             # SNI and the name verified (default: the instance's host)
 *   cert-file: /etc/muster/gateway.pem       # client certificate for mTLS (with key-file)
 *   key-file: /etc/muster/gateway.key
 * }</pre>
 *
 * @param caFile PEM CA certificates to verify backends with, default the JDK's trust store
 * @param serverName SNI name sent and verified, default the instance's host
 * @param certFile client certificate chain (mTLS), optional, needs {@code key-file}
 * @param keyFile client private key, optional, needs {@code cert-file}
 * @param verify check the backend's certificate and name, default true; false is for tests only
 * @param provider {@code jdk} (default) or {@code openssl}
 */
public record UpstreamTlsConfig(String caFile, String serverName, String certFile, String keyFile, Boolean verify,
    String provider) {

  public UpstreamTlsConfig {
    Checks.checkArgument((certFile == null) == (keyFile == null),
        "upstream-tls: cert-file and key-file go together (got %s)", certFile == null ? "key-file only" : "cert-file only");
    verify = verify == null || verify;
    provider = TlsProviders.check(provider, "upstream-tls.provider");
  }

  public UpstreamTls toUpstreamTls() {
    return new UpstreamTls(caFile == null ? null : Path.of(caFile), serverName,
        certFile == null ? null : Path.of(certFile), keyFile == null ? null : Path.of(keyFile), verify,
        provider.equals("openssl"));
  }
}
