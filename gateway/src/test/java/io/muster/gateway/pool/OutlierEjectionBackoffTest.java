package io.muster.gateway.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.muster.gateway.testing.FakeTicker;
import io.muster.gateway.testing.Instances;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@UnitTest
class OutlierEjectionBackoffTest {

  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private ServicePool pool;
  private Endpoint a;
  private Endpoint b;

  @BeforeEach
  void setUp() {
    OutlierPolicy policy = new OutlierPolicy(3, Duration.ofSeconds(10), Duration.ofSeconds(40), 50);
    pool = new ServicePool("svc", new PoolSettings(policy, Duration.ofSeconds(10)), ticker, ticker, meters, e -> { });
    pool.update(List.of(Instances.healthy("svc", "a", 9001), Instances.healthy("svc", "b", 9002),
        Instances.healthy("svc", "c", 9003)));
    a = Instances.byId(pool.active(), "a");
    b = Instances.byId(pool.active(), "b");
  }

  private void fail(Endpoint e, int times) {
    for (int i = 0; i < times; i++) {
      e.started();
      e.finished(Outcome.FAILURE, 1_000_000);
    }
  }

  @Test
  void consecutiveFailuresEjectAndTheEndpointReturnsAfterTheBackoff() {
    fail(a, 2);
    assertEquals(EndpointState.ACTIVE, a.state());
    fail(a, 1);
    assertEquals(EndpointState.EJECTED, a.state());
    assertFalse(pool.active().contains(a));
    assertEquals(1.0, meters.counter("muster.gateway.ejections", "service", "svc", "endpoint", "a").count());

    ticker.advance(9_999, TimeUnit.MILLISECONDS);
    assertEquals(EndpointState.EJECTED, a.state());
    ticker.advance(1, TimeUnit.MILLISECONDS);
    assertEquals(EndpointState.ACTIVE, a.state());
    assertTrue(pool.active().contains(a));
  }

  @Test
  void aSuccessResetsTheCount() {
    fail(a, 2);
    a.started();
    a.finished(Outcome.SUCCESS, 1_000_000);
    fail(a, 2);
    assertEquals(EndpointState.ACTIVE, a.state());
  }

  @Test
  void repeatedEjectionsDoubleUpToTheCap() {
    long[] expectedMillis = {10_000, 20_000, 40_000, 40_000};
    for (long expected : expectedMillis) {
      fail(a, 3);
      assertEquals(EndpointState.EJECTED, a.state());
      ticker.advance(expected - 1, TimeUnit.MILLISECONDS);
      assertEquals(EndpointState.EJECTED, a.state(), "still ejected just before " + expected + " ms");
      ticker.advance(1, TimeUnit.MILLISECONDS);
      assertEquals(EndpointState.ACTIVE, a.state(), "back after " + expected + " ms");
    }
  }

  @Test
  void goodBehaviourAfterReturningForgivesBackoffSteps() {
    fail(a, 3);
    ticker.advance(10, TimeUnit.SECONDS);
    fail(a, 3);
    ticker.advance(20, TimeUnit.SECONDS);
    // two base periods of good behaviour take the multiplier from 2 back to 0
    ticker.advance(20, TimeUnit.SECONDS);
    fail(a, 3);
    ticker.advance(10, TimeUnit.SECONDS);
    assertEquals(EndpointState.ACTIVE, a.state());
  }

  @Test
  void atMostHalfThePoolIsEjected() {
    fail(a, 3);
    fail(b, 3);
    assertEquals(EndpointState.EJECTED, a.state());
    assertEquals(EndpointState.ACTIVE, b.state(), "3 endpoints at 50%: only one may be out");
  }

  @Test
  void neutralOutcomesDoNotCount() {
    for (int i = 0; i < 5; i++) {
      a.started();
      a.finished(Outcome.NEUTRAL, -1);
    }
    assertEquals(EndpointState.ACTIVE, a.state());
  }
}
