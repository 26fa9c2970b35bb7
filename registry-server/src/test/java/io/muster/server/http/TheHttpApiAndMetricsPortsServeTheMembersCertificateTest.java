package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code --tls-cert}, a member's HTTP/JSON API and its metrics port are HTTPS with the member's
 * public certificate: plain HTTP gets no answer on either; the HTTP API asks for a client certificate
 * as the gRPC port does ({@code --tls-client-auth require} here), the metrics port asks for none
 * (scrapers, probes); and a rotated certificate is served by both without a restart.
 */
@ClusterTest
class TheHttpApiAndMetricsPortsServeTheMembersCertificateTest {

    private static final char[] NO_PASSWORD = new char[0];

    @TempDir
    Path dir;

    @Test
    void bothPortsAreHttpsAndFollowARotation() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca");
        Path caFile = dir.resolve("ca.pem");
        java.nio.file.Files.writeString(caFile, ca.certificate().certificatePem());
        Path cert = dir.resolve("n1.pem");
        Path key = dir.resolve("n1-key.pem");
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(cert, key);
        IssuedCertificate client = ca.issueClient("ops", Duration.ofDays(1));
        BigInteger first = IssuedCertificate.readCertificate(cert).getSerialNumber();
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000)
                .withHttpPort(FreePorts.next()).withMetricsPort(0).toBuilder()
                .tls(new PublicTls(cert, key, caFile, PublicTls.ClientAuth.REQUIRE, Duration.ofMillis(100)))
                .build())) {
            cluster.awaitLeader();
            int http = cluster.node("n1").httpPort();
            int metrics = cluster.node("n1").metricsPort();
            SSLContext withClientCertificate = context(ca.certificate().certificate(), client);
            SSLContext withoutOne = context(ca.certificate().certificate(), null);

            assertThat(get("https://127.0.0.1:" + metrics + "/healthz", withoutOne).body()).isEqualTo("ok\n");
            assertThat(get("https://127.0.0.1:" + metrics + "/metrics", withoutOne).body()).contains("muster_");
            assertThat(get("https://127.0.0.1:" + http + "/v1/services", withClientCertificate).status()).isEqualTo(200);
            assertThatThrownBy(() -> get("https://127.0.0.1:" + http + "/v1/services", withoutOne))
                    .as("the HTTP API without a client certificate").isInstanceOf(IOException.class);
            for (int port : new int[] {http, metrics}) {
                assertThatThrownBy(() -> get("http://127.0.0.1:" + port + "/healthz", null))
                        .as("plain HTTP to %d", port).isInstanceOf(IOException.class);
            }
            assertThat(get("https://127.0.0.1:" + metrics + "/healthz", withoutOne).serial()).isEqualTo(first);

            IssuedCertificate rotated = ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1));
            rotated.write(cert, key);
            BigInteger second = rotated.certificate().getSerialNumber();
            // new clients each time: a client that resumes its TLS session is shown that session's certificate
            Awaitility.await("both ports present the rotated certificate").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                        assertThat(get("https://127.0.0.1:" + metrics + "/healthz", context(ca.certificate().certificate(), null)).serial())
                                .as("metrics").isEqualTo(second);
                        assertThat(get("https://127.0.0.1:" + http + "/v1/services", context(ca.certificate().certificate(), client))
                                .serial()).as("HTTP API").isEqualTo(second);
                    });
        }
    }

    private record Answer(int status, String body, BigInteger serial) {
    }

    /** One GET on a new connection (no keep-alive reuse: every call is a new handshake). */
    private static Answer get(String url, SSLContext tls) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(5_000);
        c.setReadTimeout(5_000);
        if (c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls.getSocketFactory());
        }
        try {
            int status = c.getResponseCode();
            BigInteger serial = c instanceof HttpsURLConnection https
                    ? ((X509Certificate) https.getServerCertificates()[0]).getSerialNumber() : null;
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8), serial);
            }
        } finally {
            c.disconnect();
        }
    }

    private static SSLContext context(X509Certificate ca, IssuedCertificate client) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        KeyManagerFactory kmf = null;
        if (client != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", client.privateKey(), NO_PASSWORD, new Certificate[] {client.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ssl;
    }
}
