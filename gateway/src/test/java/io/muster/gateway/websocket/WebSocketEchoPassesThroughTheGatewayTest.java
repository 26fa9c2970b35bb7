package io.muster.gateway.websocket;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.WebSocketEchoBackend;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real WebSocket client (the JDK's) through the gateway to a real WebSocket server (Netty's): the
 * upgrade is forwarded, the connection becomes a relay, its own idle timeout closes it, and an answer
 * other than 101 reaches the client as an ordinary response.
 */
@ClusterTest
class WebSocketEchoPassesThroughTheGatewayTest {

  private WebSocketEchoBackend ws;
  private TestBackend plain;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    ws = new WebSocketEchoBackend();
    plain = new TestBackend("plain").handle("/", ex -> plain.echo(ex, 403));
    gw = new GatewayFixture("""
        routes:
          - prefix: /ws
            service: echo
          - prefix: /quiet/
            service: echo
            rewrite: /
            websocket: {idle-timeout-ms: 400}
          - prefix: /plain/
            service: plain
        """);
    gw.source.set("echo", List.of(ws.instance("echo")));
    gw.source.set("plain", List.of(plain.instance("plain")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    ws.close();
    plain.close();
  }

  /** Collects what a client WebSocket receives, and how it ended. */
  private static final class Received implements WebSocket.Listener {
    final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<String> ended = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      ended.complete("close " + statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      ended.complete("error " + error);
    }
  }

  private WebSocket connect(String path, Received listener) throws Exception {
    return gw.client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + gw.ports.proxyPort() + path), listener)
        .get(10, TimeUnit.SECONDS);
  }

  private double gauge(String name) {
    return gw.server.meterRegistry().get(name).gauge().value();
  }

  @Test
  void messagesComeBackThroughTheGatewayAndTheRelayIsNoRequestInFlight() throws Exception {
    Received received = new Received();
    WebSocket socket = connect("/ws", received);
    String big = "x".repeat(100_000);
    for (int i = 0; i < 50; i++) {
      String msg = i % 10 == 0 ? big + i : "hello " + i;
      socket.sendText(msg, true).get(10, TimeUnit.SECONDS);
      assertEquals(msg, received.messages.poll(10, TimeUnit.SECONDS), "echo " + i);
    }
    assertEquals(1, ws.handshakes());
    assertEquals(1.0, gauge("muster.gateway.tunnels"));
    assertEquals(0.0, gauge("muster.gateway.inflight"), "after the 101 the relay is not a request in flight");

    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    assertEquals("close 1000", received.ended.get(10, TimeUnit.SECONDS));
    await().atMost(Duration.ofSeconds(10)).until(() -> gauge("muster.gateway.tunnels") == 0.0);
    assertTrue(gw.admin("/metrics").contains("status=\"101\""), "the upgrade counts as one request, status 101");
  }

  @Test
  void aRelayQuietForItsIdleTimeoutIsClosed() throws Exception {
    Received received = new Received();
    WebSocket socket = connect("/quiet/ws", received);
    socket.sendText("once", true).get(10, TimeUnit.SECONDS);
    assertEquals("once", received.messages.poll(10, TimeUnit.SECONDS));
    long quietSince = System.nanoTime();

    String end = received.ended.get(10, TimeUnit.SECONDS);
    Duration quiet = Duration.ofNanos(System.nanoTime() - quietSince);
    assertTrue(quiet.compareTo(Duration.ofMillis(350)) >= 0, "not before the idle timeout: " + quiet + ", " + end);
    await().atMost(Duration.ofSeconds(10)).until(() -> gauge("muster.gateway.tunnels") == 0.0);
  }

  @Test
  void anAnswerOtherThan101IsRelayedAsAnOrdinaryResponse() throws Exception {
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> connect("/plain/ws", new Received()));
    WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
    assertEquals(403, handshake.getResponse().statusCode());
    assertEquals(1, plain.requests());
    assertEquals(0.0, gauge("muster.gateway.tunnels"));

    // the client connection and the backend still serve plain HTTP
    assertEquals(403, gw.get("/plain/again").statusCode());
    assertEquals("websocket", gw.client.send(gw.request("/plain/h").header("X-Probe", "websocket").GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).headers().firstValue("echo-x-probe").orElse(""));
  }
}
