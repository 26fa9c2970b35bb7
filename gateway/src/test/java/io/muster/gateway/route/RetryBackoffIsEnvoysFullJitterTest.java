package io.muster.gateway.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Envoy's retry back-off: the n-th retry waits a random whole number of milliseconds below an interval
 * that starts at the base (25 ms), doubles per retry and stops at the maximum (10 times the base).
 * Exact with scripted random draws.
 */
@UnitTest
class RetryBackoffIsEnvoysFullJitterTest {

  /** Always the largest draw below the bound. */
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

  @Test
  void theDefaultIntervalsAre25Then50Then100Then200ThenCappedAt250() {
    RetryBackoff b = RetryBackoff.DEFAULT;
    List<Long> intervals = new ArrayList<>();
    for (int retry = 1; retry <= 7; retry++) {
      intervals.add(b.intervalMillis(retry));
    }
    assertEquals(List.of(25L, 50L, 100L, 200L, 250L, 250L, 250L), intervals);
    assertEquals(Duration.ofMillis(250), b.max(), "the maximum is ten times the base, as Envoy's");
  }

  @Test
  void eachWaitIsAUniformDrawBelowItsInterval() {
    RetryBackoff b = RetryBackoff.DEFAULT;
    FakeRandom random = new FakeRandom().withInts(7, 49, 0, 199, 260);
    assertEquals(7, b.delayMillis(1, random));
    assertEquals(49, b.delayMillis(2, random));
    assertEquals(0, b.delayMillis(3, random));
    assertEquals(199, b.delayMillis(4, random));
    assertEquals(10, b.delayMillis(5, random), "draws are taken modulo the 250 ms cap");
    assertEquals(List.of(24L, 49L, 99L, 199L, 249L), List.of(b.delayMillis(1, MAX_DRAW), b.delayMillis(2, MAX_DRAW),
        b.delayMillis(3, MAX_DRAW), b.delayMillis(4, MAX_DRAW), b.delayMillis(5, MAX_DRAW)));
  }

  @Test
  void aConfiguredBaseAndMaximumAreKept() {
    RetryBackoff b = RetryBackoff.of(Duration.ofMillis(100), Duration.ofMillis(300));
    assertEquals(List.of(100L, 200L, 300L, 300L), List.of(b.intervalMillis(1), b.intervalMillis(2), b.intervalMillis(3),
        b.intervalMillis(4)));
    RetryBackoff flat = RetryBackoff.of(Duration.ofMillis(40), Duration.ofMillis(40));
    assertEquals(40, flat.intervalMillis(10));
  }

  @Test
  void aHugeRetryNumberNeitherOverflowsNorPassesTheCap() {
    RetryBackoff b = RetryBackoff.of(Duration.ofMillis(1), Duration.ofMillis(3_600_000));
    assertEquals(3_600_000, b.intervalMillis(Integer.MAX_VALUE));
    assertTrue(b.delayMillis(Integer.MAX_VALUE, MAX_DRAW) < 3_600_000);
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertEquals("backoff.base-interval-ms: 0 (expected: 1-3600000)",
        assertThrows(IllegalArgumentException.class, () -> RetryBackoff.of(Duration.ZERO, null)).getMessage());
    assertEquals("backoff.max-interval-ms: 10 (expected: base-interval-ms (25) to 3600000)",
        assertThrows(IllegalArgumentException.class,
            () -> RetryBackoff.of(Duration.ofMillis(25), Duration.ofMillis(10))).getMessage());
  }
}
