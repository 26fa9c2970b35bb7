package io.muster.gateway.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.FakeTicker;
import io.muster.testkit.UnitTest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bucket with a fake clock: a full bucket lets exactly {@code burst} through, then one request per
 * refill interval; a refused request takes nothing and says how long to wait, rounded up to whole
 * seconds for {@code Retry-After}.
 */
@UnitTest
class TokenBucketLetsABurstThroughThenOnePerIntervalTest {

  private final FakeTicker clock = new FakeTicker();

  private int passed(TokenBucket b, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      if (b.tryAcquire() == 0) {
        n++;
      }
    }
    return n;
  }

  @Test
  void aFullBucketLetsExactlyTheBurstThrough() {
    TokenBucket b = new TokenBucket(new RateLimit(10, 5), clock);
    assertEquals(5, passed(b, 20));
    long wait = b.tryAcquire();
    assertEquals(100_000_000L, wait); // one token is 1/10 s away
    assertEquals(1, TokenBucket.retryAfterSeconds(wait));
  }

  @Test
  void tokensComeBackAtTheRateAndNeverBeyondTheBurst() {
    TokenBucket b = new TokenBucket(new RateLimit(10, 5), clock);
    assertEquals(5, passed(b, 5));
    clock.advance(300, TimeUnit.MILLISECONDS);
    assertEquals(3, passed(b, 10));
    clock.advance(99, TimeUnit.MILLISECONDS);
    assertEquals(0, passed(b, 10));
    clock.advance(1, TimeUnit.MILLISECONDS);
    assertEquals(1, passed(b, 10));
    clock.advance(1, TimeUnit.HOURS); // idle for long: full again, not fuller
    assertEquals(5, passed(b, 100));
  }

  @Test
  void overTenSecondsTheCountIsBurstPlusRateTimesTime() {
    TokenBucket b = new TokenBucket(new RateLimit(100, 20), clock);
    int total = 0;
    for (int ms = 0; ms < 10_000; ms++) {
      total += passed(b, 3);
      clock.advance(1, TimeUnit.MILLISECONDS);
    }
    assertEquals(20 + 100 * 10 - 1, total); // the last token refills at exactly 10 s
  }

  @Test
  void aSlowRateAsksForWholeSecondsRoundedUp() {
    TokenBucket b = new TokenBucket(new RateLimit(0.4, 1), clock); // one per 2.5 s
    assertEquals(0, b.tryAcquire());
    assertEquals(3, TokenBucket.retryAfterSeconds(b.tryAcquire()));
    clock.advance(2, TimeUnit.SECONDS);
    assertEquals(1, TokenBucket.retryAfterSeconds(b.tryAcquire()));
  }

  @Test
  void concurrentCallersTakeExactlyTheBurst() throws Exception {
    TokenBucket b = new TokenBucket(new RateLimit(1, 1000), clock);
    AtomicInteger ok = new AtomicInteger();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> ok.addAndGet(passed(b, 1000)));
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(1000, ok.get());
  }

  @Test
  void badLimitsNameTheKey() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new RateLimit(0, 1)).getMessage()
        .startsWith("requests-per-second: 0.0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new RateLimit(1, 0)).getMessage()
        .startsWith("burst: 0"));
  }
}
