package io.muster.gateway.h2;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.RawH2Client;
import io.muster.gateway.testing.RawH2Connection;
import io.muster.gateway.testing.RawH2Connection.Way;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.TestCerts;
import io.muster.testkit.ClusterTest;
import io.netty.handler.codec.http2.Http2Error;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hostile HTTP/2 clients on every way into HTTP/2 (h2c by prior knowledge, h2c by {@code Upgrade},
 * h2 over TLS by ALPN): a PING flood and a SETTINGS flood from a client that does not read its
 * acknowledgements, a rapid-reset flood (HEADERS then RST_STREAM, CVE-2023-44487), and more concurrent
 * streams than the listener allows. Each abusive connection is closed with GOAWAY
 * {@code ENHANCE_YOUR_CALM} (counted in {@code muster_gateway_http2_goaway_sent_total}), or, for the
 * streams, only the extra streams are refused with {@code REFUSED_STREAM}; meanwhile a well-behaved
 * client on another connection gets a 200 for every request, before, during and after.
 */
@ClusterTest
class Http2FloodsCloseTheAbuserAndOthersKeepGetting200sTest {

  private static final int MAX_STREAMS = 5;
  /** The TLS listener's configured rapid-reset bound; the plaintext one keeps the default, 200 per 30 s. */
  private static final int TLS_MAX_RESETS = 50;
  private static final Pattern GOAWAY_CALM =
      Pattern.compile("muster_gateway_http2_goaway_sent_total\\{error=\"enhance_your_calm\",?\\} ([0-9.E]+)");

  @org.junit.jupiter.api.io.TempDir
  static Path dir;
  private static TestBackend backend;
  private static GatewayFixture gw;
  private static volatile CountDownLatch slow = new CountDownLatch(0);
  private static final java.util.concurrent.atomic.AtomicInteger resetRequests = new java.util.concurrent.atomic.AtomicInteger();
  private Bystander bystander;

  @BeforeAll
  static void setUp() throws Exception {
    TestCerts certs = new TestCerts("test-ca", dir);
    certs.server("gw", List.of("gw.test"));
    backend = new TestBackend("b1").handle("/slow", ex -> {
      try {
        slow.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      backend.echo(ex, 200);
    }).handle("/reset", ex -> {
      resetRequests.incrementAndGet();
      backend.echo(ex, 200);
    });
    gw = new GatewayFixture("""
        listeners:
          - host: 127.0.0.1
            port: 0
            max-concurrent-streams: %d
          - host: 127.0.0.1
            port: 0
            max-concurrent-streams: %d
            max-resets-per-window: %d
            tls:
              certificates:
                - {cert-file: %s, key-file: %s}
        """.formatted(MAX_STREAMS, MAX_STREAMS, TLS_MAX_RESETS, certs.cert("gw"), certs.key("gw")), """
        outlier: {consecutive-failures: 0}
        routes:
          - service: web
            request-timeout-ms: 30000
        """);
    gw.source.set("web", List.of(backend.instance("web")));
  }

  @AfterAll
  static void tearDown() {
    slow.countDown();
    gw.close();
    backend.close();
  }

  @BeforeEach
  void startBystander() throws Exception {
    bystander = new Bystander(gw.ports.listeners().get(0).getPort());
    await().atMost(Duration.ofSeconds(10)).until(() -> bystander.answers() >= 3);
  }

  @AfterEach
  void stopBystander() throws Exception {
    slow.countDown();
    bystander.close();
  }

  private static int maxResets(Way way) {
    return way == Way.TLS ? TLS_MAX_RESETS : 200;
  }

  private static int port(Way way) {
    return gw.ports.listeners().get(way == Way.TLS ? 1 : 0).getPort();
  }

  private static double calmGoAways() throws Exception {
    Matcher m = GOAWAY_CALM.matcher(gw.admin("/metrics"));
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /** The abusive connection was closed by the gateway with one more GOAWAY ENHANCE_YOUR_CALM. */
  private static void assertClosedForAbuse(RawH2Connection abuser, double calmBefore) throws Exception {
    abuser.closed.get(60, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> calmGoAways() >= calmBefore + 1);
    assertEquals(calmBefore + 1, calmGoAways(), "one GOAWAY ENHANCE_YOUR_CALM, for this connection");
  }

  /** The bystander kept getting 200s while the abuse went on, and still does. */
  private void assertOthersServedThroughout(long answersBefore) throws Exception {
    long atEnd = bystander.answers();
    assertTrue(atEnd > answersBefore, "the bystander was answered during the abuse: " + answersBefore + " -> " + atEnd);
    await().atMost(Duration.ofSeconds(10)).until(() -> bystander.answers() >= atEnd + 3);
    bystander.assertAll200();
    try (RawH2Client fresh = new RawH2Client(gw.ports.listeners().get(0).getPort())) {
      assertEquals("200", fresh.send(RawH2Client.headers("GET", "/after"), null).get(10, TimeUnit.SECONDS)
          .head().status().toString(), "a new connection is served after the abuse");
    }
  }

  @ParameterizedTest
  @EnumSource(Way.class)
  void aPingFloodFromAClientThatDoesNotReadIsClosedWithGoAway(Way way) throws Exception {
    double calmBefore = calmGoAways();
    long answersBefore = bystander.answers();
    try (RawH2Connection abuser = new RawH2Connection(port(way), way)) {
      abuser.stopReading();
      long sent = abuser.flood(20_000_000, 1_000, RawH2Connection.pings()).get(120, TimeUnit.SECONDS);
      assertClosedForAbuse(abuser, calmBefore);
      assertTrue(sent < 20_000_000, "the gateway stopped the flood: " + sent + " PINGs written");
    }
    assertOthersServedThroughout(answersBefore);
  }

  @ParameterizedTest
  @EnumSource(Way.class)
  void aSettingsFloodFromAClientThatDoesNotReadIsClosedWithGoAway(Way way) throws Exception {
    double calmBefore = calmGoAways();
    long answersBefore = bystander.answers();
    try (RawH2Connection abuser = new RawH2Connection(port(way), way)) {
      abuser.stopReading();
      long sent = abuser.flood(20_000_000, 1_000, RawH2Connection.settings()).get(120, TimeUnit.SECONDS);
      assertClosedForAbuse(abuser, calmBefore);
      assertTrue(sent < 20_000_000, "the gateway stopped the flood: " + sent + " SETTINGS written");
    }
    assertOthersServedThroughout(answersBefore);
  }

  @ParameterizedTest
  @EnumSource(Way.class)
  void anEndlessRapidResetFloodIsClosed(Way way) throws Exception {
    double calmBefore = calmGoAways();
    long answersBefore = bystander.answers();
    int resetBefore = resetRequests.get();
    try (RawH2Connection abuser = new RawH2Connection(port(way), way)) {
      long sent = abuser.flood(1_000_000, 50, abuser.rapidResets(id -> RawH2Connection.get("/reset/" + id)))
          .get(120, TimeUnit.SECONDS);
      assertClosedForAbuse(abuser, calmBefore);
      assertTrue(sent < 1_000_000, "the gateway stopped the flood: " + sent + " streams reset");
    }
    // the reset over the limit closes the connection, so at most limit + 1 of the reset requests were forwarded
    int forwarded = resetRequests.get() - resetBefore;
    assertTrue(forwarded <= maxResets(way) + 1, "reset requests that reached the backend: " + forwarded);
    assertOthersServedThroughout(answersBefore);
  }

  /**
   * A client still writing when its connection is closed cannot read the GOAWAY (the kernel answers
   * its unread bytes with a reset and drops what was queued for it). One that stops right after the
   * reset over the limit reads it.
   */
  @ParameterizedTest
  @EnumSource(Way.class)
  void theResetOverTheLimitGetsGoAwayEnhanceYourCalm(Way way) throws Exception {
    double calmBefore = calmGoAways();
    long answersBefore = bystander.answers();
    try (RawH2Connection abuser = new RawH2Connection(port(way), way)) {
      int overTheLimit = maxResets(way) + 1;
      assertEquals(overTheLimit, abuser.flood(overTheLimit, 50,
          abuser.rapidResets(id -> RawH2Connection.get("/reset/" + id))).get(60, TimeUnit.SECONDS));
      RawH2Connection.GoAway g = abuser.goAway.get(30, TimeUnit.SECONDS);
      assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), g.errorCode(), g.toString());
      assertClosedForAbuse(abuser, calmBefore);
    }
    assertOthersServedThroughout(answersBefore);
  }

  @ParameterizedTest
  @EnumSource(Way.class)
  void streamsBeyondMaxConcurrentStreamsAreRefusedAndTheConnectionStays(Way way) throws Exception {
    slow = new CountDownLatch(1);
    long answersBefore = bystander.answers();
    try (RawH2Connection client = new RawH2Connection(port(way), way)) {
      if (way == Way.UPGRADE) {
        await().atMost(Duration.ofSeconds(10)).until(() -> client.statuses.containsKey(1)); // the upgrade request
      }
      List<Integer> ids = new CopyOnWriteArrayList<>();
      for (int i = 0; i < MAX_STREAMS + 3; i++) {
        int id = client.newStreamId();
        ids.add(id);
        client.headers(id, RawH2Connection.get("/slow/" + id));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> client.resets.size() == 3);
      for (int id : ids.subList(MAX_STREAMS, MAX_STREAMS + 3)) {
        assertEquals(Http2Error.REFUSED_STREAM.code(), client.resets.get(id), "stream " + id + ": " + client.resets);
      }
      slow.countDown();
      await().atMost(Duration.ofSeconds(20)).until(() -> ids.subList(0, MAX_STREAMS).stream()
          .allMatch(client.statuses::containsKey));
      for (int id : ids.subList(0, MAX_STREAMS)) {
        assertEquals("200", client.statuses.get(id));
      }
      int again = client.newStreamId();
      client.headers(again, RawH2Connection.get("/again"));
      await().atMost(Duration.ofSeconds(10)).until(() -> client.statuses.containsKey(again));
      assertEquals("200", client.statuses.get(again), "the connection stays and serves new streams");
      assertTrue(client.isOpen());
      assertFalse(client.goAway.isDone(), "no GOAWAY for refused streams");
    }
    assertOthersServedThroughout(answersBefore);
  }

  /** A well-behaved h2c client on its own connection, one GET after another, recording each status. */
  private static final class Bystander implements AutoCloseable {
    private final RawH2Client client;
    private final List<String> statuses = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stop;
    private volatile Throwable failure;

    Bystander(int port) throws Exception {
      client = new RawH2Client(port);
      thread = new Thread(() -> {
        int n = 0;
        while (!stop) {
          try {
            RawH2Client.Response r = client.send(RawH2Client.headers("GET", "/ok/" + n++), null)
                .get(10, TimeUnit.SECONDS);
            statuses.add(r.reset() ? "reset" : r.head().status().toString());
          } catch (Exception e) {
            if (!stop) {
              failure = e;
              stop = true;
            }
          }
        }
      }, "bystander");
      thread.setDaemon(true);
      thread.start();
    }

    long answers() {
      return statuses.size();
    }

    void assertAll200() {
      assertEquals(null, failure, "the bystander's request failed");
      List<String> not200 = statuses.stream().filter(s -> !s.equals("200")).toList();
      assertTrue(not200.isEmpty(), "not 200: " + not200 + " of " + statuses.size());
    }

    @Override
    public void close() throws Exception {
      stop = true;
      thread.join(15_000);
      client.close();
    }
  }
}
