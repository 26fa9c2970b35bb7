package io.muster.gateway.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.certs.IssuedCertificate;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.TestCerts;
import io.muster.testkit.ClusterTest;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One TLS listener with two certificates: the SNI name picks one (no name, or an unknown one, gets the
 * first); certificates rotated on disk while requests run are picked up without a restart, no request
 * fails, and every new handshake after the reload sees the new certificate.
 */
@ClusterTest
class TlsListenerPicksCertificatesBySniAndReloadsThemUnderLoadTest {

  @TempDir
  static Path dir;
  private static TestCerts certs;
  private static TestBackend backend;
  private static GatewayFixture gw;
  private static SSLContext trustingClient;
  private static int port;

  @BeforeAll
  static void setUp() throws Exception {
    certs = new TestCerts("sni-ca", dir);
    certs.server("a", List.of("a.test"));
    certs.server("b", List.of("b.test", "*.b.test"));
    backend = new TestBackend("web");
    gw = new GatewayFixture("""
        listeners:
          - host: 127.0.0.1
            port: 0
            tls:
              reload-interval-ms: 50
              certificates:
                - {cert-file: %s, key-file: %s}
                - {cert-file: %s, key-file: %s}
        """.formatted(certs.cert("a"), certs.key("a"), certs.cert("b"), certs.key("b")), """
        routes:
          - service: web
        """);
    gw.source.set("web", List.of(backend.instance("web")));
    port = gw.ports.proxyPort();
    trustingClient = certs.clientContext(null);
  }

  @AfterAll
  static void tearDown() {
    gw.close();
    backend.close();
  }

  /** The certificate a fresh handshake with {@code sni} (null: none) gets; also sends one request on it. */
  private static X509Certificate handshake(String sni) throws Exception {
    // a client context per handshake: JDK clients cache sessions by host and port (not by SNI name),
    // and a resumed session would show the certificate of an earlier handshake
    SSLContext fresh = certs.clientContext(null);
    try (SSLSocket s = (SSLSocket) fresh.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      SSLParameters p = s.getSSLParameters();
      if (sni != null) {
        p.setServerNames(List.of(new SNIHostName(sni)));
      }
      p.setApplicationProtocols(new String[] {"http/1.1"});
      s.setSSLParameters(p);
      s.startHandshake();
      X509Certificate served = (X509Certificate) s.getSession().getPeerCertificates()[0];
      OutputStream out = s.getOutputStream();
      out.write("GET /x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      if (!response.startsWith("HTTP/1.1 200")) {
        throw new AssertionError("request on a fresh TLS connection failed: " + response);
      }
      return served;
    }
  }

  private static String dnsName(X509Certificate c) throws Exception {
    for (List<?> san : c.getSubjectAlternativeNames()) {
      if (Integer.valueOf(2).equals(san.get(0))) {
        return (String) san.get(1);
      }
    }
    return null;
  }

  @Test
  void theSniNamePicksTheCertificateAndTheFirstOneIsTheDefault() throws Exception {
    assertEquals("a.test", dnsName(handshake("a.test")));
    assertEquals("b.test", dnsName(handshake("b.test")));
    assertEquals("b.test", dnsName(handshake("api.b.test")));
    assertEquals("a.test", dnsName(handshake("unknown.test")));
    assertEquals("a.test", dnsName(handshake(null)));
  }

  @Test
  void certificatesRotatedUnderLoadAreServedToNewHandshakesWithoutAFailedRequest() throws Exception {
    HttpClient keepAlive = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trustingClient)
        .connectTimeout(Duration.ofSeconds(5)).build();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService load = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      boolean fresh = i % 2 == 0; // two loops handshake per request, two reuse one HTTP/2 connection
      loops.add(load.submit(() -> {
        while (running.get()) {
          try {
            if (fresh) {
              handshake("b.test");
            } else {
              HttpResponse<String> r = keepAlive.send(HttpRequest.newBuilder(
                  URI.create("https://127.0.0.1:" + port + "/k")).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() != 200) {
                throw new AssertionError("status " + r.statusCode());
              }
            }
            ok.incrementAndGet();
          } catch (Throwable t) {
            failures.add(t);
          }
        }
      }));
    }
    try {
      for (int rotation = 0; rotation < 5; rotation++) {
        IssuedCertificate next = certs.server("b", List.of("b.test", "*.b.test"));
        BigInteger serial = next.certificate().getSerialNumber();
        int before = ok.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> handshake("b.test").getSerialNumber().equals(serial));
        await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > before + 20);
      }
    } finally {
      running.set(false);
      for (Future<?> f : loops) {
        f.get();
      }
      load.shutdown();
    }
    assertEquals(List.of(), failures);
    assertTrue(ok.get() > 100, "requests: " + ok.get());
    // the other certificate never changed and is still served
    assertEquals("a.test", dnsName(handshake("a.test")));
  }
}
