package io.muster.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class AdminEndpointReportsPoolsAndMetricsTest {

  private TestBackend a;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    a = new TestBackend("a");
    gw = new GatewayFixture("""
        routes:
          - name: web-route
            service: web
            strategy: peak-ewma
          - prefix: /empty/
            service: empty
        """);
    gw.source.set("web", List.of(a.instance("web")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    a.close();
  }

  @Test
  void poolsListEveryEndpointWithItsState() throws Exception {
    assertEquals(200, gw.get("/x").statusCode());
    JsonNode pools = new ObjectMapper().readTree(gw.admin("/pools")).get("pools");
    assertEquals(2, pools.size());
    assertEquals("empty", pools.get(0).get("service").asText());
    assertEquals(0, pools.get(0).get("endpoints").size());
    JsonNode e = pools.get(1).get("endpoints").get(0);
    assertEquals("a", e.get("id").asText());
    assertEquals("127.0.0.1:" + a.port(), e.get("address").asText());
    assertEquals("active", e.get("state").asText());
    assertEquals("HEALTHY", e.get("health").asText());
    assertEquals(0, e.get("inflight").asInt());
    assertTrue(e.get("ewmaMillis").asDouble() > 0, "latency was observed: " + e);
  }

  @Test
  void metricsArePrometheusTextWithRequestHistogramsByRouteAndStatus() throws Exception {
    gw.get("/x");
    gw.get("/empty/x");
    String text = gw.admin("/metrics");
    assertTrue(text.contains("# TYPE muster_gateway_requests_seconds histogram"), text);
    assertTrue(text.contains("muster_gateway_requests_seconds_bucket{route=\"web-route\",service=\"web\",status=\"200\",le="),
        text);
    assertTrue(text.contains("muster_gateway_requests_seconds_count{route=\"empty/empty/\",service=\"empty\",status=\"503\"} 1"),
        text);
    assertTrue(text.contains("muster_gateway_inflight"), text);
  }

  @Test
  void onlyGetIsAllowed() throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + gw.ports.admin().getPort() + "/pools");
    HttpResponse<String> r = gw.client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
  }
}
