package io.muster.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.testkit.ClusterTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin port's pools page: each file with its content type, a CSP and revalidation, a
 * redirect from {@code /} and {@code /ui}, and 404 for every path that is not one of its files,
 * however it is spelled.
 */
@ClusterTest
class AdminPageServesOnlyItsOwnFilesTest {

  private GatewayFixture gw;

  @BeforeEach
  void setUp() {
    gw = new GatewayFixture("""
        routes:
          - prefix: /
            service: web
        """);
  }

  @AfterEach
  void tearDown() {
    gw.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gw.ports.admin().getPort() + path);
  }

  @Test
  void everyFileIsServedWithItsTypeAndTheSecurityHeaders() throws Exception {
    for (String file : AdminPage.FILES) {
      HttpResponse<String> r = gw.client.send(HttpRequest.newBuilder(uri("/ui/" + file)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), file);
      assertEquals(AdminPage.contentType(file), r.headers().firstValue("content-type").orElseThrow());
      assertEquals("no-cache", r.headers().firstValue("cache-control").orElseThrow());
      assertEquals(AdminPage.CONTENT_SECURITY_POLICY, r.headers().firstValue("content-security-policy").orElseThrow());
      assertEquals("nosniff", r.headers().firstValue("x-content-type-options").orElseThrow());
      String etag = r.headers().firstValue("etag").orElseThrow();
      HttpResponse<String> again = gw.client.send(HttpRequest.newBuilder(uri("/ui/" + file)).header("If-None-Match", etag).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(304, again.statusCode(), file);
    }
    String index = gw.client.send(HttpRequest.newBuilder(uri("/ui/")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(index.contains("<script type=\"module\" src=\"pools.js\">"), index);
  }

  @Test
  void onlyTheListedNamesAreServed() throws Exception {
    assertTrue(raw("GET /ui HTTP/1.1").startsWith("HTTP/1.1 302"));
    assertTrue(raw("GET /ui HTTP/1.1").contains("location: /ui/"));
    assertTrue(raw("GET / HTTP/1.1").contains("location: /ui/"));
    assertTrue(raw("POST /ui/ HTTP/1.1").startsWith("HTTP/1.1 405"));
    for (String path : List.of("/ui/../pools", "/ui/%2e%2e/metrics", "/ui/..%2fpools.js", "/ui/./pools.js", "/ui//pools.js",
        "/ui/pools.js/", "/ui/../../io/muster/gateway/admin/AdminServer.class", "/ui/io/muster/gateway/admin/ui/index.html",
        "/ui/%2fetc%2fpasswd", "/uipools.js", "/ui/AdminPage.class")) {
      String head = raw("GET " + path + " HTTP/1.1");
      assertTrue(head.startsWith("HTTP/1.1 404"), path + ": " + head);
    }
  }

  /** One request over a plain socket, exactly as written; the answer's head with lower-cased header names. */
  private String raw(String requestLine) throws IOException {
    try (Socket s = new Socket("127.0.0.1", gw.ports.admin().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      int end = answer.indexOf("\r\n\r\n");
      StringBuilder b = new StringBuilder();
      for (String line : (end < 0 ? answer : answer.substring(0, end)).split("\r\n")) {
        int colon = line.indexOf(':');
        b.append(colon < 0 || line.startsWith("HTTP/") ? line : line.substring(0, colon).toLowerCase(Locale.ROOT) + line.substring(colon)).append('\n');
      }
      return b.toString();
    }
  }
}
