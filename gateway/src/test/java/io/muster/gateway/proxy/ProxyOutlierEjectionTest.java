package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class ProxyOutlierEjectionTest {

  private TestBackend good;
  private TestBackend bad;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    good = new TestBackend("good");
    bad = new TestBackend("bad");
    bad.handle("/", ex -> bad.echo(ex, 500));
    gw = new GatewayFixture("""
        outlier:
          consecutive-failures: 3
          base-ejection-ms: 60000
        routes:
          - service: web
            retries: 0
        """);
    gw.source.set("web", List.of(good.instance("web"), bad.instance("web")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    good.close();
    bad.close();
  }

  @Test
  void threeConsecutive5xxEjectTheBackendAndTrafficGoesElsewhere() throws Exception {
    int fiveHundreds = 0;
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = gw.get("/x");
      if (r.statusCode() == 500) {
        fiveHundreds++;
        assertEquals("bad", r.body(), "a backend's 5xx is passed through, not rewritten");
      }
    }
    assertEquals(3, fiveHundreds, "round robin alternates until the third failure");
    await().atMost(Duration.ofSeconds(5)).until(() -> gw.state("web", "bad").equals("ejected"));
    assertTrue(gw.endpoint("web", "bad").get("ejectedForMillis").asLong() > 50_000);

    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = gw.get("/x");
      assertEquals(200, r.statusCode());
      assertEquals("good", r.body());
    }
    assertEquals(3, bad.requests());

    String metrics = gw.admin("/metrics");
    assertTrue(metrics.contains("muster_gateway_ejections_total{endpoint=\"bad\",service=\"web\"} 1.0"), metrics);
    assertTrue(metrics.contains("muster_gateway_upstream_errors_total{endpoint=\"bad\",kind=\"status_5xx\",service=\"web\"} 3.0"),
        metrics);
  }
}
