package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.muster.gateway.testing.Bodies;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bodies far larger than any buffer stream through chunk by chunk and arrive intact. */
@ClusterTest
class ProxyStreamsLargeBodiesTest {

  private static final int UPLOAD = 5 * 1024 * 1024;
  private static final long DOWNLOAD = 20L * 1024 * 1024;

  private static TestBackend backend;
  private static GatewayFixture gw;

  @BeforeAll
  static void setUp() throws Exception {
    backend = new TestBackend("big")
        .handle("/upload", ex -> {
          String digest;
          try (InputStream in = ex.getRequestBody()) {
            digest = Bodies.digest(in);
          }
          byte[] body = digest.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        })
        .handle("/download", ex -> {
          boolean chunked = ex.getRequestURI().getQuery() != null && ex.getRequestURI().getQuery().contains("chunked");
          ex.sendResponseHeaders(200, chunked ? 0 : DOWNLOAD);
          try (OutputStream out = ex.getResponseBody()) {
            Bodies.write(out, DOWNLOAD, 20);
          }
        });
    gw = new GatewayFixture("""
        routes:
          - service: big
            request-timeout-ms: 20000
        """);
    gw.source.set("big", List.of(backend.instance("big")));
  }

  @AfterAll
  static void tearDown() {
    gw.close();
    backend.close();
  }

  @Test
  void aFiveMegabyteUploadWithContentLengthArrivesIntact() throws Exception {
    HttpResponse<String> r = gw.client.send(gw.request("/upload")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Bodies.bytes(UPLOAD, 5))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(Bodies.expectedDigest(UPLOAD, 5), r.body());
  }

  @Test
  void aFiveMegabyteChunkedUploadArrivesIntact() throws Exception {
    HttpResponse<String> r = gw.client.send(gw.request("/upload")
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> {
          try {
            return Bodies.stream(UPLOAD, 6);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        })).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(Bodies.expectedDigest(UPLOAD, 6), r.body());
  }

  @Test
  void aTwentyMegabyteDownloadWithContentLengthArrivesIntact() throws Exception {
    HttpResponse<InputStream> r = gw.client.send(gw.request("/download").GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertEquals(String.valueOf(DOWNLOAD), r.headers().firstValue("content-length").orElseThrow());
    try (InputStream in = r.body()) {
      assertEquals(Bodies.expectedDigest(DOWNLOAD, 20), Bodies.digest(in));
    }
  }

  @Test
  void aTwentyMegabyteChunkedDownloadArrivesIntact() throws Exception {
    HttpResponse<InputStream> r = gw.client.send(gw.request("/download?chunked").GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertEquals("chunked", r.headers().firstValue("transfer-encoding").orElseThrow());
    try (InputStream in = r.body()) {
      assertEquals(Bodies.expectedDigest(DOWNLOAD, 20), Bodies.digest(in));
    }
  }
}
