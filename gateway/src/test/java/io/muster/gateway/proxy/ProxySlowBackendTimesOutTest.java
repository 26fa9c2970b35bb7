package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@ClusterTest
class ProxySlowBackendTimesOutTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private TestBackend slow;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    slow = new TestBackend("slow").handle("/slow", ex -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      slow.echo(ex, 200);
    });
    gw = new GatewayFixture("""
        routes:
          - service: slow
            request-timeout-ms: 300
            retries: 2
        """);
    gw.source.set("slow", List.of(slow.instance("slow")));
  }

  @AfterEach
  void tearDown() {
    release.countDown();
    gw.close();
    slow.close();
  }

  @Test
  void aBackendSlowerThanTheRouteTimeoutGets504WithinTheTimeout() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r = gw.get("/slow");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(504, r.statusCode());
    assertTrue(r.body().startsWith("504 Gateway Timeout: upstream 127.0.0.1:"), r.body());
    assertTrue(r.body().contains("timed out after 300 ms"), r.body());
    assertTrue(took.compareTo(Duration.ofMillis(290)) >= 0, "not before the timeout: " + took);
    assertTrue(took.compareTo(Duration.ofMillis(2_000)) < 0, "soon after the timeout: " + took);
    assertEquals(1, slow.requests(), "a timeout is not retried");

    HttpResponse<String> fast = gw.get("/fast");
    assertEquals(200, fast.statusCode(), "the gateway and the backend are still usable");
  }
}
