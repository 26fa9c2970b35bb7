package io.muster.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.awaitility.Awaitility.await;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@ClusterTest
class GatewayCloseDrainsInFlightTest {

  @Test
  void closeStopsAcceptingButLetsTheRequestInProgressFinish() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestBackend backend = new TestBackend("b")) {
      backend.handle("/slow", ex -> {
        arrived.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        byte[] body = "done".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
      });
      GatewayFixture gw = new GatewayFixture("routes:\n  - service: b\n");
      gw.source.set("b", List.of(backend.instance("b")));
      CompletableFuture<HttpResponse<String>> inFlight = gw.client.sendAsync(gw.request("/slow").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(true, arrived.await(10, TimeUnit.SECONDS));

      CompletableFuture<Void> closing = CompletableFuture.runAsync(gw::close);
      int port = gw.ports.proxyPort();
      await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> {
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
        return true;
      });
      release.countDown();
      HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertEquals("done", r.body());
      assertEquals("close", r.headers().firstValue("connection").orElse(""), "a draining gateway ends keep-alive");
      closing.get(10, TimeUnit.SECONDS);
    }
  }
}
