package io.muster.gateway.tls;

import io.muster.gateway.route.UpstreamTls;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;

/** The client {@link SslContext} of a route's {@link UpstreamTls}. */
public final class ClientTlsContexts {

  private ClientTlsContexts() {}

  /**
   * Verifies the chain against {@code ca-file} (or the JDK's trust store) and the name against
   * {@code server-name} (or the instance's host), offers a client certificate when configured.
   *
   * @param http2 negotiate {@code h2} by ALPN (the backend must select it)
   * @throws IllegalArgumentException naming the key whose file cannot be used
   */
  public static SslContext create(UpstreamTls tls, boolean http2) {
    SslContextBuilder b = SslContextBuilder.forClient().sslProvider(TlsProvider.of(tls.openSsl(), "upstream-tls.provider"));
    try {
      if (!tls.verify()) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
      } else {
        // Netty 4.2 checks the host name by default; said here so that it does not depend on a default
        b.endpointIdentificationAlgorithm("HTTPS");
        if (tls.caFile() != null) {
          b.trustManager(tls.caFile().toFile());
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("upstream-tls.ca-file: cannot use " + tls.caFile() + ": " + e.getMessage(), e);
    }
    if (tls.certFile() != null) {
      try {
        b.keyManager(tls.certFile().toFile(), tls.keyFile().toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("upstream-tls.cert-file: cannot use " + tls.certFile() + " with "
            + tls.keyFile() + ": " + e.getMessage(), e);
      }
    }
    b.applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE,
        SelectedListenerFailureBehavior.ACCEPT,
        http2 ? ApplicationProtocolNames.HTTP_2 : ApplicationProtocolNames.HTTP_1_1));
    try {
      return b.build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("upstream-tls: " + e.getMessage(), e);
    }
  }
}
