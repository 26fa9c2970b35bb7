package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.api.v1.HealthStatus;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.Instances;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class ProxyNoInstancesAnswers503Test {

  private GatewayFixture gw;

  @BeforeEach
  void setUp() {
    gw = new GatewayFixture("""
        routes:
          - prefix: /ghost/
            service: ghost
          - prefix: /dead/
            service: dead
            retries: 2
          - prefix: /mixed/
            service: mixed
            retries: 1
        """);
  }

  @AfterEach
  void tearDown() {
    gw.close();
  }

  @Test
  void aServiceWithoutInstancesAnswers503AtOnce() throws Exception {
    HttpResponse<String> r = gw.get("/ghost/x");
    assertEquals(503, r.statusCode());
    assertEquals("503 Service Unavailable: no healthy instance of service 'ghost'\n", r.body());
    assertEquals("text/plain; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
  }

  @Test
  void unhealthyAndPendingInstancesAreNotRouted() throws Exception {
    gw.source.set("ghost", List.of(
        Instances.healthy("ghost", "u", 9).toBuilder().setHealth(HealthStatus.UNHEALTHY).build(),
        Instances.healthy("ghost", "p", 10).toBuilder().setHealth(HealthStatus.PENDING).build()));
    assertEquals(503, gw.get("/ghost/x").statusCode());
  }

  @Test
  void whenEveryInstanceRefusesConnectionsTheAnswerIs503AfterTryingEachOnce() throws Exception {
    TestBackend d1 = new TestBackend("d1");
    TestBackend d2 = new TestBackend("d2");
    gw.source.set("dead", List.of(d1.instance("dead"), d2.instance("dead")));
    d1.kill();
    d2.kill();
    HttpResponse<String> r = gw.get("/dead/x");
    assertEquals(503, r.statusCode());
    assertTrue(r.body().startsWith("503 Service Unavailable: upstream connect error: 127.0.0.1:"), r.body());
  }

  @Test
  void aConnectFailureIsRetriedOnAnotherEndpointEvenForAPost() throws Exception {
    try (TestBackend live = new TestBackend("live"); TestBackend gone = new TestBackend("gone")) {
      gw.source.set("mixed", List.of(gone.instance("mixed"), live.instance("mixed")));
      gone.kill();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = gw.client.send(gw.request("/mixed/order")
            .POST(HttpRequest.BodyPublishers.ofString("payload-" + i)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("live", r.body());
      }
    }
  }
}
