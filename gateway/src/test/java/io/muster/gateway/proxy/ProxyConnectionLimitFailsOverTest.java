package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A full connection pool sends the request elsewhere and does not count against the endpoint. */
@ClusterTest
class ProxyConnectionLimitFailsOverTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger holding = new AtomicInteger();
  private TestBackend a;
  private TestBackend b;
  private GatewayFixture gw;

  private TestBackend holdingBackend(String name) throws Exception {
    TestBackend t = new TestBackend(name);
    return t.handle("/hold", ex -> {
      holding.incrementAndGet();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = name.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    });
  }

  @BeforeEach
  void setUp() throws Exception {
    a = holdingBackend("a");
    b = holdingBackend("b");
    gw = new GatewayFixture("""
        upstream:
          max-connections-per-endpoint: 1
        outlier:
          consecutive-failures: 1
        routes:
          - service: web
            retries: 1
            request-timeout-ms: 10000
        """);
    gw.source.set("web", List.of(a.instance("web"), b.instance("web")));
  }

  @AfterEach
  void tearDown() {
    release.countDown();
    gw.close();
    a.close();
    b.close();
  }

  private CompletableFuture<HttpResponse<String>> hold() {
    return gw.client.sendAsync(gw.request("/hold").GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void requestsBeyondTheLimitGoToTheOtherEndpointThenGet503() throws Exception {
    CompletableFuture<HttpResponse<String>> first = hold();
    await().atMost(Duration.ofSeconds(5)).until(() -> holding.get() == 1);
    CompletableFuture<HttpResponse<String>> second = hold();
    await().atMost(Duration.ofSeconds(5)).until(() -> holding.get() == 2);

    HttpResponse<String> third = gw.get("/hold");
    assertEquals(503, third.statusCode());
    assertTrue(third.body().contains("connection limit reached"), third.body());

    release.countDown();
    assertEquals(Set.of("a", "b"), Set.of(first.get(10, TimeUnit.SECONDS).body(), second.get(10, TimeUnit.SECONDS).body()));
    assertEquals("active", gw.state("web", "a"), "a full pool is not an outlier");
    assertEquals("active", gw.state("web", "b"));
  }
}
