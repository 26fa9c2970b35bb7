package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Envoy-style {@code retry-on} against real backends, with exact attempt counts: statuses retried on
 * the same endpoint when it is the only one, on another when there is one; per-try timeouts; the
 * budget and the idempotency rule still hold.
 */
@ClusterTest
class RetriesFollowTheRoutesRetryOnRulesTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private final List<AutoCloseable> closing = new java.util.ArrayList<>();
  private GatewayFixture gw;

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    if (gw != null) {
      gw.close();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private TestBackend backend(String name) throws Exception {
    TestBackend b = new TestBackend(name);
    closing.add(b);
    return b;
  }

  /** Answers {@code status} to the first {@code failures} requests, then 200. */
  private static TestBackend failingFirst(TestBackend b, int failures, int status) {
    AtomicInteger seen = new AtomicInteger();
    return b.handle("/", ex -> b.echo(ex, seen.incrementAndGet() <= failures ? status : 200));
  }

  private GatewayFixture gateway(String route, String more) {
    gw = new GatewayFixture("""
        outlier: {consecutive-failures: 0}
        routes:
          - service: web
        """ + route.indent(4) + more);
    return gw;
  }

  @Test
  void a503TwiceThenA200ReachesTheClientAsA200AfterThreeTries() throws Exception {
    TestBackend only = failingFirst(backend("only"), 2, 503);
    gateway("retry: {retry-on: [gateway-error], max-retries: 2}", "");
    gw.source.set("web", List.of(only.instance("web")));

    HttpResponse<String> r = gw.get("/x");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(3, only.requests(), "the only endpoint is tried again when no other is left");
  }

  @Test
  void aRetryGoesToAnotherEndpointWhenThereIsOne() throws Exception {
    TestBackend a = backend("a");
    TestBackend b = backend("b");
    a.handle("/", ex -> a.echo(ex, 503));
    b.handle("/", ex -> b.echo(ex, 503));
    gateway("retry: {retry-on: [5xx], max-retries: 1}", "");
    gw.source.set("web", List.of(a.instance("web"), b.instance("web")));

    HttpResponse<String> r = gw.get("/x");
    assertEquals(503, r.statusCode(), "the last answer passes through when retries are spent");
    assertEquals(1, a.requests(), "one try each: the retry went to the other endpoint");
    assertEquals(1, b.requests());
  }

  @Test
  void listedStatusCodesAreRetriedAndOthersAreNot() throws Exception {
    TestBackend only = failingFirst(backend("only"), 1, 409);
    gateway("retry: {retriable-status-codes: [409], max-retries: 3}", "");
    gw.source.set("web", List.of(only.instance("web")));

    assertEquals(200, gw.get("/x").statusCode());
    assertEquals(2, only.requests());

    TestBackend other = failingFirst(backend("other"), 1, 503);
    gw.source.set("web", List.of(other.instance("web")));
    assertEquals(503, gw.get("/x").statusCode(), "503 is not in the list");
    assertEquals(1, other.requests());
  }

  @Test
  void aStallingAttemptIsCutByThePerTryTimeoutAndTheNextTryAnswers() throws Exception {
    TestBackend only = backend("only");
    AtomicInteger seen = new AtomicInteger();
    only.handle("/", ex -> {
      if (seen.incrementAndGet() == 1) {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      only.echo(ex, 200);
    });
    gateway("""
        request-timeout-ms: 5000
        retry: {retry-on: [gateway-error], max-retries: 1, per-try-timeout-ms: 300}
        """, "");
    gw.source.set("web", List.of(only.instance("web")));

    long start = System.nanoTime();
    HttpResponse<String> r = gw.get("/x");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(2, only.requests());
    assertTrue(took.compareTo(Duration.ofMillis(290)) >= 0, "not before the per-try timeout: " + took);
    assertTrue(took.compareTo(Duration.ofMillis(4_000)) < 0, "well before the request timeout: " + took);
  }

  @Test
  void aPerTryTimeoutWithoutARetryConditionAnswers504() throws Exception {
    TestBackend only = backend("only");
    only.handle("/", ex -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      only.echo(ex, 200);
    });
    gateway("retry: {retry-on: [connect-failure], per-try-timeout-ms: 300}", "");
    gw.source.set("web", List.of(only.instance("web")));

    HttpResponse<String> r = gw.get("/x");
    assertEquals(504, r.statusCode());
    assertTrue(r.body().contains("timed out after 300 ms (per-try timeout)"), r.body());
    assertEquals(1, only.requests());
  }

  @Test
  void withTheBudgetExhaustedThe503PassesThrough() throws Exception {
    TestBackend only = failingFirst(backend("only"), 5, 503);
    gateway("retry: {retry-on: [5xx], max-retries: 3}", "retry-budget: {ratio: 0, min-per-second: 0}\n");
    gw.source.set("web", List.of(only.instance("web")));

    HttpResponse<String> r = gw.get("/x");
    assertEquals(503, r.statusCode());
    assertEquals("only", r.body(), "the backend's own answer, not the gateway's");
    assertEquals(1, only.requests());
    assertTrue(gw.admin("/metrics").contains("outcome=\"budget_exhausted\""));
  }

  @Test
  void aPostIsNotRetriedAfterItWasSent() throws Exception {
    TestBackend only = failingFirst(backend("only"), 1, 503);
    gateway("retry: {retry-on: [5xx], max-retries: 2}", "");
    gw.source.set("web", List.of(only.instance("web")));

    HttpResponse<String> r = gw.client.send(gw.request("/x").POST(HttpRequest.BodyPublishers.ofString("order"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(503, r.statusCode());
    assertEquals(1, only.requests());

    HttpResponse<String> get = gw.get("/x");
    assertEquals(200, get.statusCode(), "the backend answers 200 from its second request on");
  }
}
