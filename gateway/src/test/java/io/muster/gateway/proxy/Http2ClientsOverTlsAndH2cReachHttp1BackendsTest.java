package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.certs.IssuedCertificate;
import io.muster.gateway.testing.Bodies;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.TestCerts;
import io.muster.testkit.ClusterTest;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 clients (JDK client and curl) reach HTTP/1.1 backends through the gateway: h2 over TLS by ALPN,
 * h2c by {@code Upgrade} and by prior knowledge, HTTP/1.1 still on both listeners, many streams on one
 * connection, and 64 MB each way streamed (the gateway's buffers stay far below the body size).
 */
@ClusterTest
class Http2ClientsOverTlsAndH2cReachHttp1BackendsTest {

  private static final long BIG = 64L * 1024 * 1024;

  @TempDir
  static Path dir;
  private static TestCerts certs;
  private static TestBackend backend;
  private static GatewayFixture gw;
  private static HttpClient h2;
  private static int plainPort;
  private static int tlsPort;

  @BeforeAll
  static void setUp() throws Exception {
    certs = new TestCerts("test-ca", dir);
    IssuedCertificate server = certs.server("gw", List.of("gw.test"));
    backend = new TestBackend("b1")
        .handle("/upload", ex -> {
          String digest;
          try (InputStream in = ex.getRequestBody()) {
            digest = Bodies.digest(in);
          }
          byte[] body = digest.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        })
        .handle("/download", ex -> {
          ex.sendResponseHeaders(200, 0);
          try (OutputStream out = ex.getResponseBody()) {
            Bodies.write(out, BIG, 7);
          }
        });
    gw = new GatewayFixture("""
        listeners:
          - host: 127.0.0.1
            port: 0
          - host: 127.0.0.1
            port: 0
            tls:
              certificates:
                - {cert-file: %s, key-file: %s}
        """.formatted(certs.cert("gw"), certs.key("gw")), """
        routes:
          - service: web
            request-timeout-ms: 30000
        """);
    gw.source.set("web", List.of(backend.instance("web")));
    plainPort = gw.ports.listeners().get(0).getPort();
    tlsPort = gw.ports.listeners().get(1).getPort();
    h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(certs.clientContext(null))
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void tearDown() {
    gw.close();
    backend.close();
  }

  private static HttpRequest.Builder request(String scheme, int port, String path) {
    return HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60));
  }

  @Test
  void h2OverTlsIsNegotiatedByAlpnAndTheBackendSeesHttps() throws Exception {
    HttpResponse<String> r = h2.send(request("https", tlsPort, "/hello").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(HttpClient.Version.HTTP_2, r.version());
    assertEquals("b1", r.body());
    assertEquals("https", r.headers().firstValue("echo-x-forwarded-proto").orElseThrow());
    assertEquals("/hello", r.headers().firstValue("echo-path").orElseThrow());
  }

  @Test
  void http11StillWorksOnTheTlsListenerAndThePlaintextOne() throws Exception {
    HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(certs.clientContext(null))
        .build();
    for (String scheme : List.of("https", "http")) {
      HttpResponse<String> r = h1.send(request(scheme, scheme.equals("https") ? tlsPort : plainPort, "/a").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(HttpClient.Version.HTTP_1_1, r.version());
      assertEquals("b1", r.body());
    }
  }

  @Test
  void h2cByUpgradeOnThePlaintextListener() throws Exception {
    HttpClient upgrading = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<String> first = upgrading.send(request("http", plainPort, "/one").build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> second = upgrading.send(request("http", plainPort, "/two").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(HttpClient.Version.HTTP_2, first.version());
    assertEquals("/one", first.headers().firstValue("echo-path").orElseThrow());
    assertEquals(HttpClient.Version.HTTP_2, second.version());
    assertEquals("/two", second.headers().firstValue("echo-path").orElseThrow());
  }

  @Test
  void curlWithPriorKnowledgeAndCurlOverTlsSpeakHttp2() throws Exception {
    assertEquals("2 200 b1", curl("--http2-prior-knowledge", "http://127.0.0.1:" + plainPort + "/pk"));
    assertEquals("2 200 b1", curl("--http2", "--cacert", certs.caFile().toString(),
        "https://127.0.0.1:" + tlsPort + "/tls"));
  }

  /** {@code "<http version> <status> <body>"} of one curl call. */
  private static String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "-w", "\n%{http_version} %{http_code}"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    int nl = out.lastIndexOf('\n');
    return out.substring(nl + 1) + " " + out.substring(0, Math.max(nl, 0));
  }

  @Test
  void fiftyConcurrentStreamsOnOneConnectionAllAnswer() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      all.add(h2.sendAsync(request("https", tlsPort, "/s" + i).build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = all.get(i).get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertEquals("/s" + i, r.headers().firstValue("echo-path").orElseThrow());
    }
  }

  @Test
  void sixtyFourMegabytesStreamEachWayOverH2WithoutBufferingTheBody() throws Exception {
    AtomicLong peak = new AtomicLong();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    ByteBufAllocatorMetricProvider metrics = (ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT;
    sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(
        metrics.metric().usedDirectMemory() + metrics.metric().usedHeapMemory(), Math::max), 0, 5, TimeUnit.MILLISECONDS);
    try {
      HttpResponse<String> up = h2.send(request("https", tlsPort, "/upload")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
              return Bodies.stream(BIG, 8);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, up.statusCode());
      assertEquals(HttpClient.Version.HTTP_2, up.version());
      assertEquals(Bodies.expectedDigest(BIG, 8), up.body());

      HttpResponse<InputStream> down = h2.send(request("https", tlsPort, "/download").build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, down.statusCode());
      try (InputStream in = down.body()) {
        assertEquals(Bodies.expectedDigest(BIG, 7), Bodies.digest(in));
      }
    } finally {
      sampler.shutdownNow();
    }
    // Netty's allocator serves the gateway (and nothing else in this JVM): a buffered body would show
    assertTrue(peak.get() < 24L * 1024 * 1024, "gateway buffers peaked at " + peak.get() + " bytes");
  }
}
