package io.muster.server.health.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.muster.api.v1.HttpCheck;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.muster.testkit.ClusterTest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP check options against real HTTP and HTTPS servers on 127.0.0.1: the method and headers reach
 * the server, the expected status set and body decide health, and HTTPS verifies the certificate by
 * default (an untrusted one fails with a reason that says so; the check's CA or skip-verify pass).
 */
@ClusterTest
class HttpCheckOptionsDecideHealthTest {

    private EventLoopGroup loop;
    private ExecutorService blocking;
    private ExecutorService serverPool;
    private HttpProber prober;
    private HttpServer http;
    private HttpsServer https;
    private final TestCertificate cert = TestCertificate.selfSigned("muster-test-backend");
    private final AtomicReference<String> seenMethod = new AtomicReference<>();
    private final AtomicReference<String> seenHeader = new AtomicReference<>();
    private volatile int status = 200;
    private volatile String body = "{\"status\":\"UP\"}";

    @BeforeEach
    void start() throws IOException {
        loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        blocking = Executors.newCachedThreadPool();
        serverPool = Executors.newFixedThreadPool(2);
        prober = new HttpProber(loop, new Addresses(blocking));
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", this::answer);
        http.setExecutor(serverPool);
        http.start();
        https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
        https.createContext("/", this::answer);
        https.setExecutor(serverPool);
        https.start();
    }

    private void answer(HttpExchange ex) throws IOException {
        seenMethod.set(ex.getRequestMethod());
        seenHeader.set(ex.getRequestHeaders().getFirst("X-Probe"));
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
            }
        }
        ex.close();
    }

    @AfterEach
    void stop() {
        prober.close();
        http.stop(0);
        https.stop(0);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
        serverPool.shutdownNow();
    }

    private ProbeResult probe(int port, HttpCheck check) throws Exception {
        try (Probe p = prober.open("127.0.0.1", port, check, Duration.ofSeconds(3))) {
            return p.run().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStatusOutsideTheExpectedSetFails() throws Exception {
        HttpCheck check = HttpCheck.newBuilder().setPath("/health").addAllExpectedStatuses(List.of(200, 204)).build();
        status = 204;
        body = "";
        assertThat(probe(http.getAddress().getPort(), check).ok()).isTrue();
        status = 201; // a 2xx, but not in the set
        ProbeResult r = probe(http.getAddress().getPort(), check);
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).isEqualTo("HTTP 201");
        // without a set any 2xx passes, a 503 fails
        assertThat(probe(http.getAddress().getPort(), HttpCheck.newBuilder().setPath("/").build()).ok()).isTrue();
        status = 503;
        assertThat(probe(http.getAddress().getPort(), HttpCheck.newBuilder().setPath("/").build()).reason()).isEqualTo("HTTP 503");
        // a set may expect what is otherwise a failure (a standby answering 429)
        status = 429;
        assertThat(probe(http.getAddress().getPort(), check.toBuilder().addExpectedStatuses(429).build()).ok()).isTrue();
    }

    @Test
    void theMethodAndHeadersReachTheServer() throws Exception {
        HttpCheck check = HttpCheck.newBuilder().setPath("/ready").setMethod("POST").putHeaders("X-Probe", "muster").build();
        assertThat(probe(http.getAddress().getPort(), check).ok()).isTrue();
        assertThat(seenMethod.get()).isEqualTo("POST");
        assertThat(seenHeader.get()).isEqualTo("muster");
        assertThat(probe(http.getAddress().getPort(), check.toBuilder().setMethod("HEAD").build()).ok()).isTrue();
        assertThat(seenMethod.get()).isEqualTo("HEAD");
    }

    @Test
    void aBodyWithoutTheExpectedTextFails() throws Exception {
        HttpCheck up = HttpCheck.newBuilder().setPath("/").setExpectedBody("\"UP\"").build();
        assertThat(probe(http.getAddress().getPort(), up).ok()).isTrue();
        body = "{\"status\":\"DOWN\"}";
        ProbeResult r = probe(http.getAddress().getPort(), up);
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).isEqualTo("HTTP 200, body does not contain '\"UP\"'");
        // the status still decides first
        status = 500;
        body = "{\"status\":\"UP\"}";
        assertThat(probe(http.getAddress().getPort(), up).reason()).isEqualTo("HTTP 500");
    }

    @Test
    void httpsVerifiesTheCertificateByDefault() throws Exception {
        int port = https.getAddress().getPort();
        ProbeResult untrusted = probe(port, HttpCheck.newBuilder().setScheme("https").setPath("/").build());
        assertThat(untrusted.ok()).isFalse();
        assertThat(untrusted.reason()).startsWith("TLS: certificate not trusted");
    }

    @Test
    void httpsWithTheChecksCaPasses() throws Exception {
        int port = https.getAddress().getPort();
        ProbeResult r = probe(port, HttpCheck.newBuilder().setScheme("https").setPath("/").setTlsCaPem(cert.pem())
                .setExpectedBody("UP").build());
        assertThat(r.ok()).as(r.reason()).isTrue();
        assertThat(r.reason()).isEqualTo("HTTP 200");
        // another CA does not vouch for this certificate
        ProbeResult other = probe(port, HttpCheck.newBuilder().setScheme("https").setPath("/")
                .setTlsCaPem(TestCertificate.selfSigned("someone-else").pem()).build());
        assertThat(other.ok()).isFalse();
        assertThat(other.reason()).startsWith("TLS: certificate not trusted");
    }

    @Test
    void httpsWithSkipVerifyPasses() throws Exception {
        ProbeResult r = probe(https.getAddress().getPort(), HttpCheck.newBuilder().setScheme("https").setPath("/").setTlsSkipVerify(true).build());
        assertThat(r.ok()).as(r.reason()).isTrue();
    }

    @Test
    void aCaThatIsNotACertificateFailsEveryProbeWithTheReason() throws Exception {
        ProbeResult r = probe(https.getAddress().getPort(), HttpCheck.newBuilder().setScheme("https").setPath("/")
                .setTlsCaPem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n").build());
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).startsWith("TLS: tls_ca_pem unusable");
    }
}
