package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.testkit.UnitTest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

@UnitTest
class RetryBudgetTokenBucketTest {

  private final AtomicLong clock = new AtomicLong(5_000_000_000L);

  private static int drain(RetryBudget budget) {
    int n = 0;
    while (budget.tryAcquire()) {
      n++;
    }
    return n;
  }

  @Test
  void startsWithTenSecondsOfTheMinimumRate() {
    RetryBudget budget = new RetryBudget(0.2, 10, clock::get);
    assertEquals(100, drain(budget));
    assertFalse(budget.tryAcquire());
  }

  @Test
  void everyRequestEarnsItsShareOfARetry() {
    RetryBudget budget = new RetryBudget(0.2, 0, clock::get);
    drain(budget);
    for (int i = 0; i < 100; i++) {
      budget.onRequest();
    }
    assertEquals(20, drain(budget), "retries stay at 20% of requests");
  }

  @Test
  void theMinimumRateRefillsWithTime() {
    RetryBudget budget = new RetryBudget(0.2, 10, clock::get);
    drain(budget);
    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
    assertEquals(5, drain(budget));
    clock.addAndGet(TimeUnit.HOURS.toNanos(1));
    assertEquals(100, drain(budget), "capped at ten seconds' worth");
  }

  @Test
  void aZeroBudgetNeverRetries() {
    RetryBudget budget = new RetryBudget(0, 0, clock::get);
    assertEquals(0, drain(budget));
    budget.onRequest();
    assertFalse(budget.tryAcquire());
    assertTrue(budget.available() == 0);
  }
}
