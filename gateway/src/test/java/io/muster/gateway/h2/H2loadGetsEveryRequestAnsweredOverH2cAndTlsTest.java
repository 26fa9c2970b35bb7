package io.muster.gateway.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.TestCerts;
import io.muster.testkit.ClusterTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nghttp2's h2load (a real HTTP/2 load generator, the one the benchmarks use) through the gateway:
 * h2c by prior knowledge and h2 over TLS by ALPN, 4 connections with 10 streams each; every request is
 * answered 2xx, none fails.
 */
@ClusterTest
class H2loadGetsEveryRequestAnsweredOverH2cAndTlsTest {

  private static final Pattern REQUESTS =
      Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");
  private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

  @TempDir
  static Path dir;
  private static TestBackend backend;
  private static GatewayFixture gw;

  @BeforeAll
  static void setUp() throws Exception {
    TestCerts certs = new TestCerts("test-ca", dir);
    certs.server("gw", List.of("gw.test"));
    backend = new TestBackend("b1");
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
        """);
    gw.source.set("web", List.of(backend.instance("web")));
  }

  @AfterAll
  static void tearDown() {
    gw.close();
    backend.close();
  }

  private static void assertAllAnswered(String url) throws Exception {
    Process p = new ProcessBuilder("h2load", "-n", "2000", "-c", "4", "-m", "10", url).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    Matcher r = REQUESTS.matcher(out);
    Matcher s = STATUS.matcher(out);
    assertTrue(r.find() && s.find(), out);
    assertEquals("2000", r.group(4), "succeeded: " + out);
    assertEquals("0", r.group(5), "failed: " + out);
    assertEquals("0", r.group(6), "errored: " + out);
    assertEquals("2000", s.group(1), "2xx: " + out);
    assertTrue(out.contains("Application protocol: h2"), out);
  }

  @Test
  void h2cPriorKnowledge() throws Exception {
    assertAllAnswered("http://127.0.0.1:" + gw.ports.listeners().get(0).getPort() + "/h2load");
  }

  @Test
  void h2OverTls() throws Exception {
    assertAllAnswered("https://127.0.0.1:" + gw.ports.listeners().get(1).getPort() + "/h2load");
  }
}
