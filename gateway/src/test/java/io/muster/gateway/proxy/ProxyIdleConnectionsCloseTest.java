package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.api.v1.Instance;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Idle keep-alive connections on both sides are closed after their idle timeout, and only when idle:
 * a connection that keeps working for several timeouts stays open. (Both are driven by one lazily
 * re-armed timer per connection, see {@link ConnectionTimer}.)
 */
@ClusterTest
class ProxyIdleConnectionsCloseTest {

  private static final long IDLE_MS = 400;

  private GatewayFixture gw;
  private TestBackend backend;
  private ServerSocket rawBackend;

  @AfterEach
  void tearDown() throws IOException {
    if (gw != null) {
      gw.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (rawBackend != null) {
      rawBackend.close();
    }
  }

  @Test
  void aBusyClientConnectionStaysOpenAndAnIdleOneIsClosedAfterTheListenerIdleTimeout() throws Exception {
    backend = new TestBackend("idle");
    gw = new GatewayFixture(IDLE_MS, "routes:\n  - service: idle\n");
    gw.source.set("idle", List.of(backend.instance("idle")));
    try (Socket s = new Socket("127.0.0.1", gw.ports.proxyPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      long busyUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS);
      int answered = 0;
      while (System.nanoTime() - busyUntil < 0) {
        out.write("GET /busy HTTP/1.1\r\nHost: shop\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertEquals("HTTP/1.1 200 OK", in.readLine(), "request " + answered + " on the same connection");
        skipRestOfResponse(in);
        answered++;
      }
      long idleFrom = System.nanoTime();
      assertEquals(-1, in.read(), "the gateway closes the idle connection");
      Duration idleFor = Duration.ofNanos(System.nanoTime() - idleFrom);
      assertTrue(idleFor.toMillis() >= IDLE_MS - 50, "not before the idle timeout: " + idleFor);
      assertTrue(idleFor.toMillis() < 5_000, "soon after the idle timeout: " + idleFor);
      assertTrue(answered > 3, "requests answered while busy: " + answered);
    }
  }

  @Test
  void aPooledBackendConnectionIsReusedWhileBusyAndClosedAfterTheUpstreamIdleTimeout() throws Exception {
    rawBackend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    AtomicInteger accepted = new AtomicInteger();
    CompletableFuture<Duration> closedAfterIdle = new CompletableFuture<>();
    Thread server = new Thread(() -> serveOneConnection(accepted, closedAfterIdle), "raw-backend");
    server.setDaemon(true);
    server.start();
    gw = new GatewayFixture("""
        upstream:
          idle-timeout-ms: %d
        routes:
          - service: raw
        """.formatted(IDLE_MS));
    gw.source.set("raw", List.of(Instance.newBuilder().setService("raw").setId("r1").setHost("127.0.0.1")
        .setPort(rawBackend.getLocalPort()).build()));
    long busyUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS);
    int answered = 0;
    while (System.nanoTime() - busyUntil < 0) {
      HttpResponse<String> r = gw.get("/busy");
      assertEquals(200, r.statusCode(), r.body());
      answered++;
    }
    Duration idleFor = closedAfterIdle.get(10, TimeUnit.SECONDS);
    assertEquals(1, accepted.get(), "one pooled connection carried all " + answered + " requests");
    assertTrue(idleFor.toMillis() >= IDLE_MS - 50, "not before the idle timeout: " + idleFor);
    assertTrue(idleFor.toMillis() < 5_000, "soon after the idle timeout: " + idleFor);
  }

  /** Answers requests on the first connection; completes with how long it sat idle before the gateway closed it. */
  private void serveOneConnection(AtomicInteger accepted, CompletableFuture<Duration> closedAfterIdle) {
    try (Socket s = rawBackend.accept()) {
      accepted.incrementAndGet();
      s.setSoTimeout(20_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = s.getOutputStream();
      long lastAnswer = System.nanoTime();
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          lastAnswer = System.nanoTime();
        }
      }
      // (a second connection, i.e. a pool that did not reuse, is never answered: its request times out)
      closedAfterIdle.complete(Duration.ofNanos(System.nanoTime() - lastAnswer));
    } catch (IOException e) {
      closedAfterIdle.completeExceptionally(e);
    }
  }

  private static void skipRestOfResponse(BufferedReader in) throws IOException {
    int length = 0;
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    for (int i = 0; i < length; i++) {
      in.read();
    }
  }
}
