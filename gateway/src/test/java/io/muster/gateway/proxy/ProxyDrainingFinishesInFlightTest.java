package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class ProxyDrainingFinishesInFlightTest {

  private final CountDownLatch arrived = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private TestBackend old;
  private TestBackend replacement;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    old = new TestBackend("old").handle("/slow", ex -> {
      arrived.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "old finished".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    });
    replacement = new TestBackend("new");
    gw = new GatewayFixture("""
        routes:
          - service: web
            request-timeout-ms: 10000
        """);
    gw.source.set("web", List.of(old.instance("web")));
  }

  @AfterEach
  void tearDown() {
    release.countDown();
    gw.close();
    old.close();
    replacement.close();
  }

  @Test
  void aRemovedInstanceFinishesItsInFlightRequestWhileNewOnesGoElsewhere() throws Exception {
    CompletableFuture<HttpResponse<String>> inFlight = gw.client.sendAsync(gw.request("/slow").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(true, arrived.await(10, TimeUnit.SECONDS));

    gw.source.set("web", List.of(replacement.instance("web")));
    await().atMost(Duration.ofSeconds(5)).until(() -> gw.state("web", "old").equals("draining"));
    assertEquals(1, gw.endpoint("web", "old").get("inflight").asInt());

    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = gw.get("/fast");
      assertEquals("new", r.body());
    }

    release.countDown();
    HttpResponse<String> finished = inFlight.get(10, TimeUnit.SECONDS);
    assertEquals(200, finished.statusCode());
    assertEquals("old finished", finished.body());
    await().atMost(Duration.ofSeconds(5)).until(() -> gw.state("web", "old").equals("absent"));
  }
}
