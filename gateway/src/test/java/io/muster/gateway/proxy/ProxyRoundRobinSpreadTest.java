package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class ProxyRoundRobinSpreadTest {

  private TestBackend a;
  private TestBackend b;
  private TestBackend c;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    a = new TestBackend("a");
    b = new TestBackend("b");
    c = new TestBackend("c");
    gw = new GatewayFixture("""
        routes:
          - prefix: /api/
            service: web
            rewrite: /
            strategy: round-robin
        """);
    gw.source.set("web", List.of(a.instance("web"), b.instance("web"), c.instance("web")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    a.close();
    b.close();
    c.close();
  }

  @Test
  void requestsAreSpreadEvenlyOverThreeBackends() throws Exception {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> r = gw.get("/api/hello");
      assertEquals(200, r.statusCode());
      counts.merge(r.body(), 1, Integer::sum);
    }
    assertEquals(Map.of("a", 10, "b", 10, "c", 10), counts);
  }

  @Test
  void theBackendSeesTheRewrittenPathAndForwardedHeaders() throws Exception {
    HttpResponse<String> r = gw.client.send(gw.request("/api/users?id=7").header("X-Request-Id", "r-1")
        .header("X-Forwarded-For", "10.1.2.3").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    var h = r.headers();
    assertEquals("/users?id=7", h.firstValue("echo-path").orElseThrow());
    assertEquals("10.1.2.3, 127.0.0.1", h.firstValue("echo-x-forwarded-for").orElseThrow());
    assertEquals("http", h.firstValue("echo-x-forwarded-proto").orElseThrow());
    assertEquals("127.0.0.1:" + gw.ports.proxyPort(), h.firstValue("echo-x-forwarded-host").orElseThrow());
    assertEquals("r-1", h.firstValue("echo-x-request-id").orElseThrow());
  }

  @Test
  void aPathOutsideEveryRouteIs404() throws Exception {
    HttpResponse<String> r = gw.get("/other");
    assertEquals(404, r.statusCode());
    assertEquals("404 Not Found: no route for /other\n", r.body());
  }
}
