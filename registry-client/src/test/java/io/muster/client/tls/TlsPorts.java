package io.muster.client.tls;

import io.muster.api.v1.Instance;
import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** What the TLS tests share: a CA's files in a directory, and a look at the certificate a port presents. */
final class TlsPorts {
    private TlsPorts() {
    }

    /** The files {@code muster cert} would write for a CA, member n1 (127.0.0.1, localhost) and a client. */
    record Files(Path ca, Path memberCert, Path memberKey, Path clientCert, Path clientKey) {
        static Files write(CertificateAuthority ca, Path dir, String client) throws IOException {
            Files f = new Files(dir.resolve("ca.pem"), dir.resolve("member-n1.pem"), dir.resolve("member-n1-key.pem"),
                    dir.resolve("client-" + client + ".pem"), dir.resolve("client-" + client + "-key.pem"));
            ca.certificate().write(f.ca(), dir.resolve("ca-key.pem"));
            member(ca).write(f.memberCert(), f.memberKey());
            ca.issueClient(client, Duration.ofDays(1)).write(f.clientCert(), f.clientKey());
            return f;
        }
    }

    static IssuedCertificate member(CertificateAuthority ca) {
        return ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1));
    }

    /** The serial number of the certificate a new handshake with 127.0.0.1:{@code port} presents. */
    static BigInteger presentedSerial(int port, X509Certificate trusted) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            SSLParameters params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    static Instance instance(String service, String id, int port) {
        return Instance.newBuilder().setService(service).setId(id).setHost("127.0.0.1").setPort(port).setLeaseTtlMs(60_000).build();
    }

    /** Whether {@code cause} or one of its causes is a TLS handshake failure. */
    static boolean handshakeFailed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }
}
