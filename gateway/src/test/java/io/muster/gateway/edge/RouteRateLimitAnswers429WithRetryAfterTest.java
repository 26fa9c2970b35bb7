package io.muster.gateway.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.gateway.GatewayServer;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.testing.FakeTicker;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.GrpcTestBackend;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real clients against a gateway whose clock stands still unless the test moves it: a limited route
 * lets exactly its burst through, then answers {@code 429} with {@code Retry-After} (HTTP/1.1 and h2)
 * or {@code RESOURCE_EXHAUSTED} (gRPC), and lets exactly one more through per refill interval; other
 * routes are not touched, and refused requests never reach a backend.
 */
@ClusterTest
class RouteRateLimitAnswers429WithRetryAfterTest {

  private static final FakeTicker clock = new FakeTicker();
  private static TestBackend http;
  private static GrpcTestBackend grpc;
  private static GatewayFixture gw;
  private static ManagedChannel channel;

  @BeforeAll
  static void setUp() throws Exception {
    http = new TestBackend("b1");
    grpc = new GrpcTestBackend("g1");
    gw = new GatewayFixture(new GatewayServer.Options(clock, PickerResources.threadLocalRandom(), 1, true), """
        listeners:
          - host: 127.0.0.1
            port: 0
        """, """
        routes:
          - {prefix: /h1/, service: web, rate-limit: {requests-per-second: 2, burst: 3}}
          - {prefix: /h2/, service: web, rate-limit: {requests-per-second: 0.25, burst: 2}}
          - {prefix: /free/, service: web}
          - prefix: /test.Echo/
            service: echo
            protocol: grpc
            rate-limit: {requests-per-second: 1, burst: 2}
        """);
    gw.source.set("web", List.of(http.instance("web")));
    gw.source.set("echo", List.of(grpc.instance("echo")));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.ports.proxyPort()).usePlaintext().build();
  }

  @AfterAll
  static void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    http.close();
    grpc.close();
  }

  @Test
  void http1GetsTheBurstThen429sThenOnePerInterval() throws Exception {
    int before = http.requests();
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<String> refused = null;
    for (int i = 0; i < 8; i++) {
      HttpResponse<String> r = gw.get("/h1/x" + i);
      statuses.add(r.statusCode());
      if (r.statusCode() == 429) {
        refused = r;
      }
    }
    assertEquals(List.of(200, 200, 200, 429, 429, 429, 429, 429), statuses);
    assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow()); // 0.5 s, rounded up
    assertTrue(refused.headers().firstValue("x-request-id").orElseThrow().matches("[0-9a-f]{32}"));
    assertTrue(refused.body().startsWith("429 Too Many Requests: rate limit of route 'web/h1/' exceeded"),
        refused.body());
    assertEquals(before + 3, http.requests()); // refused requests never reached the backend
    for (int i = 0; i < 10; i++) {
      assertEquals(200, gw.get("/free/" + i).statusCode()); // another route, no limit
    }

    clock.advance(500, TimeUnit.MILLISECONDS); // one token
    assertEquals(List.of(200, 429, 429), List.of(gw.get("/h1/a").statusCode(), gw.get("/h1/b").statusCode(),
        gw.get("/h1/c").statusCode()));
    clock.advance(1500, TimeUnit.MILLISECONDS); // the whole burst again
    int ok = 0;
    for (int i = 0; i < 10; i++) {
      ok += gw.get("/h1/d" + i).statusCode() == 200 ? 1 : 0;
    }
    assertEquals(3, ok);
  }

  @Test
  void h2GetsTheBurstThen429sWithRetryAfter() throws Exception {
    List<String> statuses = new ArrayList<>();
    Map<String, String> lastHeaders = null;
    for (int i = 0; i < 4; i++) {
      Map<String, String> h = curlHead("http://127.0.0.1:" + gw.ports.proxyPort() + "/h2/x" + i);
      statuses.add(h.get(":status"));
      lastHeaders = h;
    }
    assertEquals(List.of("HTTP/2 200", "HTTP/2 200", "HTTP/2 429", "HTTP/2 429"), statuses);
    assertEquals("4", lastHeaders.get("retry-after")); // one per 4 s
    clock.advance(3, TimeUnit.SECONDS);
    assertEquals("1", curlHead("http://127.0.0.1:" + gw.ports.proxyPort() + "/h2/y").get("retry-after"));
    clock.advance(1, TimeUnit.SECONDS);
    assertEquals("HTTP/2 200", curlHead("http://127.0.0.1:" + gw.ports.proxyPort() + "/h2/z").get(":status"));
  }

  @Test
  void grpcGetsTheBurstThenResourceExhausted() {
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    int before = grpc.calls();
    assertEquals("g1:a", GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "a", options));
    assertEquals("g1:b", GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "b", options));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "c", options));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("rate limit of route 'echo/test.Echo/' exceeded"),
        e.getStatus().getDescription());
    assertEquals(before + 2, grpc.calls());
    clock.advance(1, TimeUnit.SECONDS);
    assertEquals("g1:d", GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "d", options));
    assertThrows(StatusRuntimeException.class, () -> GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "e", options));
  }

  /** The response head of one {@code curl --http2-prior-knowledge} GET: ":status" is the status line. */
  static Map<String, String> curlHead(String url) throws Exception {
    Process p = new ProcessBuilder("curl", "-sS", "--max-time", "20", "--http2-prior-knowledge", "-o", "/dev/null",
        "-D", "-", url).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    Map<String, String> head = new LinkedHashMap<>();
    for (String line : out.split("\r?\n")) {
      if (line.startsWith("HTTP/")) {
        head.put(":status", line.trim());
      } else if (line.contains(":")) {
        int c = line.indexOf(':');
        head.put(line.substring(0, c).trim().toLowerCase(), line.substring(c + 1).trim());
      }
    }
    return head;
  }
}
