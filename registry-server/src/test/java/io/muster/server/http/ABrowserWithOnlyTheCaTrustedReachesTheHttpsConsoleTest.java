package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --http-tls-client-auth} sets the HTTPS HTTP/JSON API port's client authentication apart
 * from the gRPC port's ({@code --tls-client-auth}), as Consul's {@code verify_incoming_https}. With
 * {@code none} on a member whose gRPC port requires client certificates (what
 * {@code deploy/local/run.sh} runs), a client that trusts only the CA and holds no certificate (a
 * browser) gets the console and the API, where the ACL tokens decide: 401 without one, 200 with one;
 * the gRPC port still refuses it at the handshake. With {@code require} on the HTTP port (the gRPC
 * port open), a client without a certificate is refused at the handshake, before any HTTP.
 */
@ClusterTest
class ABrowserWithOnlyTheCaTrustedReachesTheHttpsConsoleTest {

    private static final char[] NO_PASSWORD = new char[0];
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    CertificateAuthority ca;
    Path caFile;
    Path cert;
    Path key;
    IssuedCertificate client;

    @BeforeEach
    void pki() throws Exception {
        ca = CertificateAuthority.create("test-ca");
        caFile = Files.writeString(dir.resolve("ca.pem"), ca.certificate().certificatePem());
        cert = dir.resolve("n1.pem");
        key = dir.resolve("n1-key.pem");
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(cert, key);
        client = ca.issueClient("ops", Duration.ofDays(1));
    }

    private LocalCluster member(PublicTls.ClientAuth grpc, PublicTls.ClientAuth http) {
        return LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000).withHttpPort(FreePorts.next())
                .toBuilder().aclEnabled(true)
                .tls(new PublicTls(cert, key, caFile, grpc, http, PublicTls.DEFAULT_RELOAD_PERIOD))
                .build());
    }

    @Test
    void withNoneABrowserWithoutACertificateGetsTheConsoleAndTheTokensDecide() throws Exception {
        try (LocalCluster cluster = member(PublicTls.ClientAuth.REQUIRE, PublicTls.ClientAuth.NONE)) {
            cluster.awaitLeader();
            String base = "https://127.0.0.1:" + cluster.node("n1").httpPort();
            SSLContext browser = context(null);
            Path tokenFile = cluster.configOf("n1").bootstrapTokenFile();
            String token = Awaitility.await("the bootstrap token").atMost(WAIT).until(
                    () -> Files.exists(tokenFile) ? Tokens.read(tokenFile) : null, t -> t != null);

            Answer page = get(base + "/ui/", browser, null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("<html");
            assertThat(get(base + "/ui/members.js", browser, null).status()).isEqualTo(200);

            Answer refused = get(base + "/v1/services", browser, null);
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.body()).contains("UNAUTHENTICATED");
            assertThat(get(base + "/v1/members", browser, null).status()).isEqualTo(401);
            Awaitility.await("the token is accepted").atMost(WAIT).untilAsserted(() ->
                    assertThat(get(base + "/v1/services", browser, token).status()).isEqualTo(200));
            Answer members = get(base + "/v1/members", browser, token);
            assertThat(members.status()).as(members.body()).isEqualTo(200);
            assertThat(members.body()).contains("\"appliedIndex\"");

            // the gRPC port keeps its own setting: no certificate, no connection
            int grpcPort = Integer.parseInt(cluster.spec("n1").grpcAddress().split(":")[1]);
            assertThatThrownBy(() -> handshakeAndRead(grpcPort, browser)).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void withRequireAClientWithoutACertificateIsRefusedAtTheHandshake() throws Exception {
        try (LocalCluster cluster = member(PublicTls.ClientAuth.NONE, PublicTls.ClientAuth.REQUIRE)) {
            cluster.awaitLeader();
            int port = cluster.node("n1").httpPort();
            assertThatThrownBy(() -> handshakeAndRead(port, context(null)))
                    .as("the HTTP port without a client certificate").isInstanceOf(SSLException.class);
            assertThatThrownBy(() -> get("https://127.0.0.1:" + port + "/ui/", context(null), null)).isInstanceOf(IOException.class);
            // with one, the request reaches HTTP (and the ACLs: no token, 401)
            assertThat(get("https://127.0.0.1:" + port + "/v1/services", context(client), null).status()).isEqualTo(401);
            assertThat(get("https://127.0.0.1:" + port + "/ui/", context(client), null).status()).isEqualTo(200);
        }
    }

    /**
     * A TLS connection that sends a request and reads: a server that requires a certificate the
     * client has not got ends the handshake with an alert (in TLS 1.3 the client learns it on its
     * first read), so this throws an {@link SSLException} before any HTTP byte comes back.
     */
    private static void handshakeAndRead(int port, SSLContext tls) throws IOException {
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(5_000);
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write("GET /ui/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int first = s.getInputStream().read();
            throw new AssertionError("the server answered without a client certificate (first byte " + first + ")");
        }
    }

    private record Answer(int status, String body) {
    }

    /** One GET on a new connection, with {@code Authorization: Bearer token} when a token is given. */
    private static Answer get(String url, SSLContext tls, String token) throws IOException {
        HttpsURLConnection c = (HttpsURLConnection) URI.create(url).toURL().openConnection();
        c.setSSLSocketFactory(tls.getSocketFactory());
        c.setRequestProperty("Connection", "close");
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        try {
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } finally {
            ((HttpURLConnection) c).disconnect();
        }
    }

    /** Trusts the cluster CA only; presents {@code clientCertificate} when given (a browser has none). */
    private SSLContext context(IssuedCertificate clientCertificate) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", ca.certificate().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        KeyManagerFactory kmf = null;
        if (clientCertificate != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", clientCertificate.privateKey(), NO_PASSWORD, new Certificate[] {clientCertificate.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ssl;
    }
}
