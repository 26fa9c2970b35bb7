package io.muster.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.GrpcTestBackend;
import io.muster.gateway.testing.RawH2Client;
import io.muster.testkit.ClusterTest;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A grpc-java client calls three grpc-java servers through the gateway on one HTTP/2 connection:
 * every call is balanced on its own (round robin gives each backend exactly a third), unary and
 * streaming calls work, a backend's error status and trailers arrive intact, the gateway enforces
 * {@code grpc-timeout} and answers UNAVAILABLE with a message when a service has no instance.
 */
@ClusterTest
class GrpcCallsBalancedPerCallThroughTheGatewayTest {

  private static final List<GrpcTestBackend> backends = new ArrayList<>();
  private static GatewayFixture gw;
  private static ManagedChannel channel;

  @BeforeAll
  static void setUp() throws Exception {
    for (String name : List.of("g1", "g2", "g3")) {
      backends.add(new GrpcTestBackend(name));
    }
    gw = new GatewayFixture("""
        routes:
          - prefix: /test.Echo/
            service: echo
            protocol: grpc
            retries: 0
          - prefix: /nobody.Home/
            service: nobody
            protocol: grpc
        """);
    gw.source.set("echo", backends.stream().map(b -> b.instance("echo")).toList());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.ports.proxyPort()).usePlaintext().build();
  }

  @AfterAll
  static void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    backends.forEach(GrpcTestBackend::close);
  }

  private static CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void unaryCallsOnOneConnectionSpreadEvenlyOverTheBackends() {
    Map<String, Integer> seen = new TreeMap<>();
    for (int i = 0; i < 30; i++) {
      String answer = GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "hi" + i, options());
      assertTrue(answer.endsWith(":hi" + i), answer);
      seen.merge(answer.substring(0, answer.indexOf(':')), 1, Integer::sum);
    }
    assertEquals(Map.of("g1", 10, "g2", 10, "g3", 10), seen);
  }

  @Test
  void aServerStreamArrivesWhole() {
    Iterator<String> it = ClientCalls.blockingServerStreamingCall(channel, GrpcTestBackend.SERVER_STREAM, options(), "50");
    List<String> got = new ArrayList<>();
    it.forEachRemaining(got::add);
    assertEquals(50, got.size());
    String backend = got.get(0).substring(0, 2);
    for (int i = 0; i < 50; i++) {
      assertEquals(backend + ":" + i, got.get(i));
    }
  }

  @Test
  void aClientStreamArrivesWhole() throws Exception {
    CompletableFuture<String> result = new CompletableFuture<>();
    StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
        channel.newCall(GrpcTestBackend.CLIENT_STREAM, options()), new StreamObserver<>() {
          @Override
          public void onNext(String value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    for (int i = 0; i < 100; i++) {
      requests.onNext(Integer.toString(i % 10));
    }
    requests.onCompleted();
    String answer = result.get(10, TimeUnit.SECONDS);
    assertEquals("0123456789".repeat(10), answer.substring(answer.indexOf(':') + 1));
  }

  @Test
  void aBackendsErrorStatusMessageAndTrailersArriveIntact() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> GrpcTestBackend.unary(channel, GrpcTestBackend.FAIL, "x", options()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("no such thing: x (é%)", e.getStatus().getDescription());
    assertTrue(e.getTrailers().get(GrpcTestBackend.DETAIL).startsWith("from-g"), e.getTrailers().toString());
  }

  @Test
  void aServiceWithoutInstancesAnswersUnavailableWithAMessage() {
    var method = io.grpc.MethodDescriptor.<String, String>newBuilder(GrpcTestBackend.STRING, GrpcTestBackend.STRING)
        .setFullMethodName("nobody.Home/Call").setType(io.grpc.MethodDescriptor.MethodType.UNARY).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> GrpcTestBackend.unary(channel, method, "x", options()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("no healthy instance of service 'nobody'", e.getStatus().getDescription());
  }

  @Test
  void theGatewayEndsACallAtItsGrpcTimeoutWithDeadlineExceededAsTrailersOnly() throws Exception {
    int before = backends.stream().mapToInt(GrpcTestBackend::calls).sum();
    try (RawH2Client raw = new RawH2Client(gw.ports.proxyPort())) {
      Http2Headers h = RawH2Client.headers("POST", "/test.Echo/Slow")
          .set("content-type", "application/grpc").set("te", "trailers").set("grpc-timeout", "300m");
      long start = System.nanoTime();
      RawH2Client.Response r = raw.send(h, RawH2Client.grpcFrame("x".getBytes(StandardCharsets.UTF_8)))
          .get(10, TimeUnit.SECONDS);
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertFalse(r.reset());
      assertEquals(1, r.headerFrames().size(), "trailers-only: one HEADERS frame, got " + r.headerFrames());
      assertEquals("200", r.head().status().toString());
      assertEquals("4", r.head().get("grpc-status").toString()); // DEADLINE_EXCEEDED
      assertTrue(r.head().get("grpc-message").toString().contains("grpc-timeout"), r.head().toString());
      assertTrue(tookMs >= 300 && tookMs < 5_000, "took " + tookMs + " ms");
    }
    assertEquals(before + 1, backends.stream().mapToInt(GrpcTestBackend::calls).sum(), "the call reached a backend");
  }
}
