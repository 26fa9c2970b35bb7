package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.GatewayServer;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A route's {@code retry} section waits Envoy's jittered back-off before each retry, and keeps an
 * idempotent request's body up to {@code per-request-buffer-limit-bytes} so a retry can send it again;
 * above the limit the request is not retried once its body left. The randomness is injected (every
 * draw the largest allowed), so the waits are known; counts are exact.
 */
@ClusterTest
class RetriesBackOffAndReplayBufferedBodiesTest {

  /** Every bounded draw is the largest below its bound: back-offs of interval - 1 ms. */
  private static final RandomGenerator MAX_DRAW = new RandomGenerator() {
    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public int nextInt(int bound) {
      return bound - 1;
    }
  };

  private final List<AutoCloseable> closing = new ArrayList<>();
  private GatewayFixture gw;

  @AfterEach
  void tearDown() throws Exception {
    if (gw != null) {
      gw.close();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** A backend answering 503 to the first {@code failures} requests, then 200; it keeps each body and arrival. */
  private final class Recording {
    final TestBackend backend;
    final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    final List<Long> arrivals = new CopyOnWriteArrayList<>();

    Recording(int failures) throws Exception {
      backend = new TestBackend("only");
      closing.add(backend);
      AtomicInteger seen = new AtomicInteger();
      backend.handle("/", ex -> {
        arrivals.add(System.nanoTime());
        byte[] body = ex.getRequestBody().readAllBytes();
        bodies.add(body);
        byte[] answer = ("got " + body.length).getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(seen.incrementAndGet() <= failures ? 503 : 200, answer.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(answer);
        }
      });
    }
  }

  private Recording gateway(int failures, String retry, String more) throws Exception {
    Recording r = new Recording(failures);
    gw = new GatewayFixture(new GatewayServer.Options(System::nanoTime, MAX_DRAW, 1, true), """
        listeners:
          - host: 127.0.0.1
            port: 0
        """, """
        outlier: {consecutive-failures: 0}
        routes:
          - service: web
        """ + ("retry: " + retry + "\n" + more).indent(4));
    gw.source.set("web", List.of(r.backend.instance("web")));
    return r;
  }

  private HttpResponse<String> put(byte[] body, boolean chunked) throws Exception {
    HttpRequest.BodyPublisher p = chunked
        ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
        : HttpRequest.BodyPublishers.ofByteArray(body);
    return gw.client.send(gw.request("/x").PUT(p).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] body(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  @Test
  void eachRetryWaitsItsBackOffAndTheThirdTryAnswers() throws Exception {
    Recording r = gateway(2, "{retry-on: [gateway-error], max-retries: 2, backoff: {base-interval-ms: 100}}", "");

    HttpResponse<String> answer = gw.get("/x");
    assertEquals(200, answer.statusCode(), answer.body());
    assertEquals(3, r.arrivals.size());
    // largest draws: 99 ms below the first interval (100), 199 ms below the second (200)
    long firstGap = (r.arrivals.get(1) - r.arrivals.get(0)) / 1_000_000;
    long secondGap = (r.arrivals.get(2) - r.arrivals.get(1)) / 1_000_000;
    assertTrue(firstGap >= 99, "first back-off " + firstGap + " ms");
    assertTrue(secondGap >= 199, "second back-off " + secondGap + " ms");
  }

  @Test
  void aPutBodyIsKeptAndSentAgainToTheRetry() throws Exception {
    Recording r = gateway(1, "{retry-on: [5xx], max-retries: 1}", "");
    byte[] body = body(10_000);

    HttpResponse<String> answer = put(body, false);
    assertEquals(200, answer.statusCode());
    assertEquals("got 10000", answer.body());
    assertEquals(2, r.bodies.size());
    assertArrayEquals(body, r.bodies.get(0));
    assertArrayEquals(body, r.bodies.get(1), "the retry carried the whole body again");
  }

  @Test
  void aChunkedPutBodyWithoutLengthIsKeptAndSentAgainToo() throws Exception {
    Recording r = gateway(2, "{retry-on: [5xx], max-retries: 2}", "");
    byte[] body = body(30_000);

    HttpResponse<String> answer = put(body, true);
    assertEquals(200, answer.statusCode());
    assertEquals(3, r.bodies.size());
    for (byte[] got : r.bodies) {
      assertArrayEquals(body, got);
    }
  }

  @Test
  void aBodyOverTheBufferLimitIsNotRetriedAndTheBackendsAnswerPassesThrough() throws Exception {
    Recording r = gateway(4, "{retry-on: [5xx], max-retries: 2, per-request-buffer-limit-bytes: 1024}", "");

    HttpResponse<String> announced = put(body(4_096), false);
    assertEquals(503, announced.statusCode());
    assertEquals("got 4096", announced.body(), "the backend's own answer");
    assertEquals(1, r.bodies.size());

    HttpResponse<String> chunked = put(body(4_096), true);
    assertEquals(503, chunked.statusCode());
    assertEquals(2, r.bodies.size(), "a chunked body that outgrew the limit on the way is not retried either");

    HttpResponse<String> small = put(body(1_000), false);
    assertEquals(200, small.statusCode(), "503, 503 (retries of the small body), then 200");
    assertEquals(5, r.bodies.size());
  }

  @Test
  void aPostIsStillNotRetriedAfterItsBodyWasSent() throws Exception {
    Recording r = gateway(1, "{retry-on: [5xx], max-retries: 2}", "");

    HttpResponse<String> answer = gw.client.send(gw.request("/x").POST(HttpRequest.BodyPublishers.ofByteArray(body(100)))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(503, answer.statusCode());
    assertEquals(1, r.bodies.size());
  }

  @Test
  void theRequestTimeoutEndsARetryStillWaitingForItsBackOff() throws Exception {
    Recording r = gateway(1, "{retry-on: [5xx], max-retries: 1, backoff: {base-interval-ms: 1000}}",
        "request-timeout-ms: 300");

    HttpResponse<String> answer = gw.get("/x");
    assertEquals(504, answer.statusCode(), answer.body());
    assertTrue(answer.body().contains("timed out after 300 ms"), answer.body());
    // the retry was to wait 999 ms: it never goes out, not even after its back-off would have passed
    await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3)).until(() -> r.arrivals.size() == 1);
  }
}
