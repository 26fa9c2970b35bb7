package io.muster.server.health.probe;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A check's {@code tls_skip_verify}: accepts every certificate and host name. An
 * {@link X509ExtendedTrustManager}, because the JDK wraps a plain {@code X509TrustManager} in one
 * that still checks the host name when the engine asks for endpoint identification (gRPC's does).
 */
final class TrustEverything extends X509ExtendedTrustManager {

    static final TrustEverything INSTANCE = new TrustEverything();

    private TrustEverything() {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
