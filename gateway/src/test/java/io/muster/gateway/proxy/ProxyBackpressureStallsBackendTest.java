package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading must stop the backend too: the gateway stops reading the backend
 * connection once the client connection is full, instead of buffering the response in memory.
 */
@ClusterTest
class ProxyBackpressureStallsBackendTest {

  private static final long BODY = 256L * 1024 * 1024;

  private final AtomicLong written = new AtomicLong();
  private TestBackend backend;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    backend = new TestBackend("firehose").handle("/", ex -> {
      ex.sendResponseHeaders(200, BODY);
      byte[] block = new byte[64 * 1024];
      try (OutputStream out = ex.getResponseBody()) {
        for (long left = BODY; left > 0; left -= block.length) {
          out.write(block);
          written.addAndGet(block.length);
        }
      } catch (IOException clientGone) {
        // expected: the test hangs up
      }
    });
    gw = new GatewayFixture("routes:\n  - service: firehose\n    idle-timeout-ms: 30000\n");
    gw.source.set("firehose", List.of(backend.instance("firehose")));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    backend.close();
  }

  @Test
  void aClientThatStopsReadingStallsTheBackendWithinSocketBuffers() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gw.ports.proxyPort())) {
      s.setReceiveBufferSize(64 * 1024);
      s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      in.readNBytes(1024); // the head and a little body, then nothing more

      long[] last = {-1};
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
        long now = written.get();
        boolean stalled = now > 0 && now == last[0];
        last[0] = now;
        return stalled;
      });
      assertTrue(written.get() < BODY / 8,
          "backend stalled after " + written.get() / (1024 * 1024) + " MB of " + BODY / (1024 * 1024) + " MB");
    }
  }
}
