package io.muster.gateway.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.GrpcTestBackend;
import io.muster.gateway.testing.RawH2Client;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over HTTP/1.1, h2 (prior knowledge) and gRPC: the client's well-formed {@code X-Request-Id} reaches
 * the backend and comes back, a missing or malformed one is replaced by a generated id that does the
 * same; a valid {@code traceparent} goes upstream with its {@code tracestate}, an invalid one with its
 * tracestate does not; and each request leaves one access log line naming the same id, with the
 * protocol, status, bytes, upstream, attempts and route.
 */
@ClusterTest
class RequestIdTraceparentAndAccessLogAcrossProtocolsTest {

  private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir
  static Path dir;
  private static Path logFile;
  private static TestBackend http;
  private static GrpcTestBackend grpc;
  private static GatewayFixture gw;
  private static ManagedChannel channel;

  @BeforeAll
  static void setUp() throws Exception {
    logFile = dir.resolve("access.log");
    http = new TestBackend("b1");
    grpc = new GrpcTestBackend("g1");
    gw = new GatewayFixture("""
        routes:
          - {prefix: /web/, service: web, name: web-route}
          - {prefix: /test.Echo/, service: echo, protocol: grpc, name: grpc-route}
        access-log:
          output: %s
          queue-capacity: 1000
        """.formatted(logFile));
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

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return gw.client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The access log line of {@code requestId}, once written. */
  private static JsonNode logLine(String requestId) {
    AtomicReference<JsonNode> found = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      if (!Files.exists(logFile)) {
        return false;
      }
      for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
        JsonNode n = new ObjectMapper().readTree(line);
        if (n.get("request_id").asText().equals(requestId)) {
          found.set(n);
          return true;
        }
      }
      return false;
    });
    return found.get();
  }

  @Test
  void http1KeepsAValidIdAndTraceContextAndLogsTheRequest() throws Exception {
    HttpResponse<String> r = send(gw.request("/web/a?q=1").header("X-Request-Id", "client-id-1")
        .header("traceparent", PARENT).header("tracestate", "vendor=x")
        .POST(HttpRequest.BodyPublishers.ofString("hello")));
    assertEquals(200, r.statusCode());
    assertEquals("client-id-1", r.headers().firstValue("x-request-id").orElseThrow());
    assertEquals("client-id-1", r.headers().firstValue("echo-x-request-id").orElseThrow());
    assertEquals(PARENT, r.headers().firstValue("echo-traceparent").orElseThrow());
    assertEquals("vendor=x", r.headers().firstValue("echo-tracestate").orElseThrow());

    JsonNode line = logLine("client-id-1");
    assertEquals("POST", line.get("method").asText());
    assertEquals("127.0.0.1:" + gw.ports.proxyPort(), line.get("authority").asText());
    assertEquals("/web/a?q=1", line.get("path").asText());
    assertEquals("HTTP/1.1", line.get("protocol").asText());
    assertFalse(line.get("grpc").asBoolean());
    assertEquals(200, line.get("status").asInt());
    assertEquals(5, line.get("bytes_in").asLong());
    assertEquals(2, line.get("bytes_out").asLong()); // the backend's body: "b1"
    assertTrue(line.get("duration_us").asLong() > 0);
    assertEquals("127.0.0.1:" + http.port(), line.get("upstream").asText());
    assertEquals(1, line.get("attempts").asInt());
    assertEquals("web-route", line.get("route").asText());
    Instant t = Instant.parse(line.get("time").asText());
    assertTrue(Duration.between(t, Instant.now()).abs().toSeconds() < 60, t::toString);
  }

  @Test
  void http1ReplacesAMalformedIdAndDropsAnInvalidTraceparent() throws Exception {
    HttpResponse<String> r = send(gw.request("/web/b").header("X-Request-Id", "x".repeat(129))
        .header("traceparent", "00-zz-bad-01").header("tracestate", "vendor=x").GET());
    String id = r.headers().firstValue("x-request-id").orElseThrow();
    assertTrue(id.matches("[0-9a-f]{32}"), id);
    assertEquals(id, r.headers().firstValue("echo-x-request-id").orElseThrow());
    assertTrue(r.headers().firstValue("echo-traceparent").isEmpty());
    assertTrue(r.headers().firstValue("echo-tracestate").isEmpty());

    HttpResponse<String> none = send(gw.request("/web/c").GET());
    String generated = none.headers().firstValue("x-request-id").orElseThrow();
    assertTrue(generated.matches("[0-9a-f]{32}"), generated);
    assertNotEquals(id, generated);
    assertEquals(generated, none.headers().firstValue("echo-x-request-id").orElseThrow());

    HttpResponse<String> notFound = send(gw.request("/nowhere").GET()); // the gateway's own answers too
    String nf = notFound.headers().firstValue("x-request-id").orElseThrow();
    JsonNode line = logLine(nf);
    assertEquals(404, line.get("status").asInt());
    assertEquals(0, line.get("attempts").asInt());
    assertTrue(line.get("route").isNull());
    assertTrue(line.get("upstream").isNull());
    assertEquals(notFound.body().length(), line.get("bytes_out").asLong());
  }

  @Test
  void h2CarriesTheIdAndTraceContextBothWays() throws Exception {
    try (RawH2Client h2 = new RawH2Client(gw.ports.proxyPort())) {
      Http2Headers valid = RawH2Client.headers("GET", "/web/h2").add("x-request-id", "h2-id")
          .add("traceparent", PARENT).add("tracestate", "k=v");
      RawH2Client.Response r = h2.send(valid, null).get(20, TimeUnit.SECONDS);
      assertEquals("200", r.head().status().toString());
      assertEquals("h2-id", r.head().get("x-request-id").toString());
      assertEquals("h2-id", r.head().get("echo-x-request-id").toString());
      assertEquals(PARENT, r.head().get("echo-traceparent").toString());
      assertEquals("k=v", r.head().get("echo-tracestate").toString());

      Http2Headers invalid = RawH2Client.headers("GET", "/web/h2b").add("x-request-id", "bad id")
          .add("traceparent", PARENT.toUpperCase()).add("tracestate", "k=v");
      RawH2Client.Response r2 = h2.send(invalid, null).get(20, TimeUnit.SECONDS);
      String id = r2.head().get("x-request-id").toString();
      assertTrue(id.matches("[0-9a-f]{32}"), id);
      assertEquals(id, r2.head().get("echo-x-request-id").toString());
      assertNull(r2.head().get("echo-traceparent"));
      assertNull(r2.head().get("echo-tracestate"));
    }
    JsonNode line = logLine("h2-id");
    assertEquals("HTTP/2.0", line.get("protocol").asText());
    assertEquals("/web/h2", line.get("path").asText());
    assertEquals("127.0.0.1", line.get("authority").asText());
    assertEquals(200, line.get("status").asInt());
  }

  @Test
  void grpcCarriesTheIdAndTraceContextBothWays() throws Exception {
    Metadata sent = new Metadata();
    sent.put(REQUEST_ID, "grpc-id");
    sent.put(TRACEPARENT, PARENT);
    sent.put(TRACESTATE, "g=1");
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    io.grpc.Channel ch = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(sent),
        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals("g1:hi", GrpcTestBackend.unary(ch, GrpcTestBackend.UNARY, "hi", options));
    assertEquals("grpc-id", headers.get().get(REQUEST_ID));
    assertEquals("grpc-id", grpc.lastHeaders().get(REQUEST_ID));
    assertEquals(PARENT, grpc.lastHeaders().get(TRACEPARENT));
    assertEquals("g=1", grpc.lastHeaders().get(TRACESTATE));

    Metadata bad = new Metadata();
    bad.put(TRACEPARENT, "01-nonsense");
    bad.put(TRACESTATE, "g=1");
    io.grpc.Channel ch2 = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(bad),
        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    assertEquals("g1:ho", GrpcTestBackend.unary(ch2, GrpcTestBackend.UNARY, "ho", options));
    String id = headers.get().get(REQUEST_ID);
    assertTrue(id.matches("[0-9a-f]{32}"), id);
    assertEquals(id, grpc.lastHeaders().get(REQUEST_ID));
    assertNull(grpc.lastHeaders().get(TRACEPARENT));
    assertNull(grpc.lastHeaders().get(TRACESTATE));

    JsonNode line = logLine("grpc-id");
    assertEquals("HTTP/2.0", line.get("protocol").asText());
    assertTrue(line.get("grpc").asBoolean());
    assertEquals("/test.Echo/Unary", line.get("path").asText());
    assertEquals("POST", line.get("method").asText());
    assertEquals(200, line.get("status").asInt());
    assertEquals("grpc-route", line.get("route").asText());
    assertEquals(5 + 2, line.get("bytes_in").asLong()); // one message frame: 5-byte prefix + "hi"
    assertEquals(5 + "g1:hi".length(), line.get("bytes_out").asLong());
  }

  @Test
  void everyRequestLeavesExactlyOneLine() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(send(gw.request("/web/many" + i).GET()).headers().firstValue("x-request-id").orElseThrow());
    }
    for (String id : ids) {
      logLine(id);
    }
    List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
    for (String id : ids) {
      assertEquals(1, lines.stream().filter(l -> l.contains("\"" + id + "\"")).count(), id);
    }
  }
}
