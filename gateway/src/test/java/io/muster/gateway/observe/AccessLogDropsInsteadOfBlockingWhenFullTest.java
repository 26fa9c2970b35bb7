package io.muster.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The access log's writer never holds up a caller: with the output stuck, a full queue drops the
 * next lines at once and counts them; lines are one JSON object each, with every field.
 */
@UnitTest
class AccessLogDropsInsteadOfBlockingWhenFullTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T20:00:00.123Z"), ZoneOffset.UTC);

  private static AccessLogEntry entry(int i) {
    return new AccessLogEntry(CLOCK.millis(), "id-" + i, "GET", "example.com", "/p?q=\"" + i + "\"", "HTTP/1.1",
        false, 200, 3, 40, 1234, "10.0.0.1:80", 1, "r");
  }

  @Test
  void aStuckOutputFillsTheQueueThenLinesAreDroppedAndCountedWithoutWaiting() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    OutputStream stuck = new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        writing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AccessLog log = AccessLog.start(stuck, false, 4, CLOCK, meters);
    try {
      assertTrue(log.log(entry(0)));
      assertTrue(writing.await(10, TimeUnit.SECONDS)); // the writer holds entry 0, stuck in write
      long start = System.nanoTime();
      int accepted = 0;
      for (int i = 1; i <= 1000; i++) {
        if (log.log(entry(i))) {
          accepted++;
        }
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(4, accepted);
      assertEquals(996, log.dropped());
      assertEquals(996.0, meters.get("muster.gateway.accesslog.dropped").counter().count());
      assertTrue(tookMs < 1000, "1000 offers took " + tookMs + " ms");
    } finally {
      release.countDown();
      log.close();
    }
  }

  @Test
  void eachLineIsOneJsonObjectWithEveryField() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AccessLog log = AccessLog.start(out, false, 16, CLOCK, meters);
    assertTrue(log.log(entry(1)));
    assertTrue(log.log(new AccessLogEntry(CLOCK.millis(), "id-2", "POST", null, "/", "HTTP/2.0", true, 429, 0, 0, 7,
        null, 0, null)));
    log.close();
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2, lines.length);
    JsonNode a = new ObjectMapper().readTree(lines[0]);
    assertEquals("2026-12-07T20:00:00.123Z", a.get("time").asText());
    assertEquals("id-1", a.get("request_id").asText());
    assertEquals("GET", a.get("method").asText());
    assertEquals("example.com", a.get("authority").asText());
    assertEquals("/p?q=\"1\"", a.get("path").asText());
    assertEquals("HTTP/1.1", a.get("protocol").asText());
    assertFalse(a.get("grpc").asBoolean());
    assertEquals(200, a.get("status").asInt());
    assertEquals(3, a.get("bytes_in").asLong());
    assertEquals(40, a.get("bytes_out").asLong());
    assertEquals(1234, a.get("duration_us").asLong());
    assertEquals("10.0.0.1:80", a.get("upstream").asText());
    assertEquals(1, a.get("attempts").asInt());
    assertEquals("r", a.get("route").asText());
    JsonNode b = new ObjectMapper().readTree(lines[1]);
    assertTrue(b.get("upstream").isNull());
    assertEquals(429, b.get("status").asInt());
    assertEquals(2.0, meters.get("muster.gateway.accesslog.written").counter().count());
  }
}
