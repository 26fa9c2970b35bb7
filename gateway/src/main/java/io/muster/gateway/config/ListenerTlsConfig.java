package io.muster.gateway.config;

import java.util.List;

/**
 * TLS termination on a listener.
 *
 * <pre>{@code
 * tls:
 *   certificates:
 *     - {cert-file: /etc/muster/a.pem, key-file: /etc/muster/a.key}              # names from its SANs
 *     - {cert-file: /etc/muster/b.pem, key-file: /etc/muster/b.key, server-names: [b.example.com]}
 *   reload-interval-ms: 5000
 *   provider: jdk
 * }</pre>
 *
 * @param certificates certificate chains with their keys, at least one; the first one answers clients
 *     that send no SNI name or a name no certificate covers
 * @param reloadIntervalMs how often the files are checked for changes, default 5000; 0 never reloads
 * @param provider {@code jdk} (default) or {@code openssl} (needs netty-tcnative on the class path)
 */
public record ListenerTlsConfig(List<CertificateConfig> certificates, Long reloadIntervalMs, String provider) {

  public ListenerTlsConfig {
    Checks.required(certificates, "tls.certificates");
    Checks.checkArgument(!certificates.isEmpty(), "tls.certificates: at least one certificate required");
    certificates = List.copyOf(certificates);
    long interval = reloadIntervalMs == null ? 5_000 : reloadIntervalMs;
    Checks.checkArgument(interval >= 0, "tls.reload-interval-ms: %s (expected: >= 0, 0 never reloads)", interval);
    reloadIntervalMs = interval;
    provider = TlsProviders.check(provider, "tls.provider");
  }

  /**
   * One certificate of a listener.
   *
   * @param certFile PEM certificate chain, leaf first
   * @param keyFile PEM private key (PKCS#8)
   * @param serverNames SNI names this certificate answers ({@code *.example.com} wildcards allowed);
   *     default: the certificate's DNS subject alternative names
   */
  public record CertificateConfig(String certFile, String keyFile, List<String> serverNames) {
    public CertificateConfig {
      Checks.required(certFile, "tls.certificates.cert-file");
      Checks.required(keyFile, "tls.certificates.key-file");
      serverNames = serverNames == null ? List.of() : List.copyOf(serverNames);
    }
  }
}
