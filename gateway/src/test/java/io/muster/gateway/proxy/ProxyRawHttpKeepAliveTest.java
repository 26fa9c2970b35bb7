package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Wire-level behaviour a library client hides: pipelining, hop-by-hop headers, HTTP/1.0. */
@ClusterTest
class ProxyRawHttpKeepAliveTest {

  private TestBackend backend;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    backend = new TestBackend("raw");
    gw = new GatewayFixture("routes:\n  - service: raw\n");
    gw.source.set("raw", List.of(backend.instance("raw")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    backend.close();
  }

  private record Response(String statusLine, Map<String, String> headers, String body) {}

  private static Response read(BufferedReader in) throws IOException {
    String status = in.readLine();
    Map<String, String> headers = new LinkedHashMap<>();
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    char[] body = new char[length];
    int off = 0;
    while (off < length) {
      off += in.read(body, off, length - off);
    }
    return new Response(status, headers, new String(body));
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderWithoutHopByHopHeaders() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gw.ports.proxyPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      String req = "GET /first HTTP/1.1\r\nHost: shop\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cr3t\r\n"
          + "Keep-Alive: timeout=5\r\nProxy-Authorization: Basic Zm9v\r\nTE: trailers\r\n\r\n"
          + "GET /second HTTP/1.1\r\nHost: shop\r\n\r\n";
      out.write(req.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      List<Response> responses = new ArrayList<>();
      responses.add(read(in));
      responses.add(read(in));
      assertEquals("/first", responses.get(0).headers().get("echo-path"));
      assertEquals("/second", responses.get(1).headers().get("echo-path"));
      Map<String, String> seen = responses.get(0).headers();
      for (String hop : List.of("echo-x-secret", "echo-keep-alive", "echo-proxy-authorization", "echo-te",
          "echo-connection")) {
        assertFalse(seen.containsKey(hop), hop + " leaked to the backend: " + seen);
      }
      assertEquals("shop", seen.get("echo-host"));
      assertEquals("shop", seen.get("echo-x-forwarded-host"));
      assertFalse(seen.containsKey("connection"), "keep-alive is the HTTP/1.1 default");
    }
  }

  @Test
  void anHttp10ClientGetsItsConnectionClosedAfterTheResponse() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gw.ports.proxyPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /old HTTP/1.0\r\nHost: shop\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      Response r = read(in);
      assertTrue(r.statusLine().startsWith("HTTP/1.0 200"), r.statusLine());
      assertEquals("raw", r.body());
      assertEquals(-1, in.read(), "closed after the response");
    }
  }

  @Test
  void aMalformedRequestGets400AndTheConnectionCloses() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gw.ports.proxyPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /x HTTP/1.1\r\nBad Header Line\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      Response r = read(in);
      assertTrue(r.statusLine().startsWith("HTTP/1.1 400"), r.statusLine());
      assertEquals(-1, in.read());
    }
  }
}
