package io.muster.gateway.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A backend dies while requests are flowing: retries and ejection hide it from every client. */
@ClusterTest
class ProxyBackendKilledUnderLoadTest {

  private static final int CLIENTS = 4;
  private static final int TOTAL = 800;
  private static final int KILL_AFTER = 200;

  private TestBackend a;
  private TestBackend b;
  private TestBackend c;
  private GatewayFixture gw;
  private ExecutorService clients;

  @BeforeEach
  void setUp() throws Exception {
    a = new TestBackend("a");
    b = new TestBackend("b");
    c = new TestBackend("c");
    gw = new GatewayFixture("""
        outlier:
          consecutive-failures: 2
          base-ejection-ms: 30000
        routes:
          - service: web
            strategy: round-robin
            retries: 2
            connect-timeout-ms: 500
            request-timeout-ms: 5000
        """);
    gw.source.set("web", List.of(a.instance("web"), b.instance("web"), c.instance("web")));
    AtomicInteger n = new AtomicInteger();
    clients = Executors.newFixedThreadPool(CLIENTS, r -> new Thread(r, "load-client-" + n.incrementAndGet()));
  }

  @AfterEach
  void tearDown() {
    clients.shutdownNow();
    gw.close();
    a.close();
    b.close();
    c.close();
  }

  @Test
  void noClientRequestFailsWhenABackendIsKilledMidway() throws Exception {
    AtomicInteger started = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Runnable load = () -> {
      while (started.incrementAndGet() <= TOTAL) {
        try {
          HttpResponse<String> r = gw.get("/work");
          if (r.statusCode() != 200) {
            failures.add(r.statusCode() + " " + r.body());
          }
        } catch (Exception e) {
          failures.add(e.toString());
        }
        finished.incrementAndGet();
      }
    };
    List<Future<?>> futures = new java.util.ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      futures.add(clients.submit(load));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> finished.get() >= KILL_AFTER);
    b.kill();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }

    assertEquals(List.of(), List.copyOf(failures));
    assertTrue(b.requests() > 0, "b served traffic before it died");
    await().atMost(Duration.ofSeconds(5)).until(() -> gw.state("web", "b").equals("ejected"));

    // the gateway's own view: every request answered 200, none aborted
    Map<String, Long> byStatus = new TreeMap<>();
    for (Timer t : gw.server.meterRegistry().find("muster.gateway.requests").timers()) {
      byStatus.merge(t.getId().getTag("status"), t.count(), Long::sum);
    }
    assertEquals(Map.of("200", (long) TOTAL), byStatus);
  }
}
