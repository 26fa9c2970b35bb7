package io.muster.gateway.proxy;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Caps retries so a failing backend cannot multiply the load (Finagle / Linkerd retry budget) as a
 * token bucket: every request earns {@code ratio} of a retry, the bucket also refills at {@code
 * minPerSecond} so quiet routes can still retry. It starts with ten seconds of the minimum rate and
 * holds at most {@code max(10 * minPerSecond, 100)} tokens, so a long calm spell does not bank an
 * unbounded burst. A retry spends one token.
 *
 * <p>Lock-free; shared by every request thread.
 */
public final class RetryBudget {

  private static final long MILLI = 1000;

  private final long depositMilli;
  private final double refillMilliPerNano;
  private final long capacityMilli;
  private final LongSupplier nanoClock;
  private final AtomicLong balanceMilli;
  private final AtomicLong lastRefillNanos;

  /**
   * @param ratio retries earned per request, 0-1 (0.2: retries stay under 20% of requests)
   * @param minPerSecond retries always allowed per second regardless of traffic
   */
  public RetryBudget(double ratio, int minPerSecond, LongSupplier nanoClock) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("ratio: " + ratio + " (expected: 0-1)");
    }
    if (minPerSecond < 0) {
      throw new IllegalArgumentException("minPerSecond: " + minPerSecond + " (expected: >= 0)");
    }
    this.depositMilli = Math.round(ratio * MILLI);
    this.refillMilliPerNano = minPerSecond * MILLI / 1e9;
    this.capacityMilli = Math.max(10L * minPerSecond, 100) * MILLI;
    this.nanoClock = nanoClock;
    this.balanceMilli = new AtomicLong(Math.min(capacityMilli, 10L * minPerSecond * MILLI));
    this.lastRefillNanos = new AtomicLong(nanoClock.getAsLong());
  }

  /** A request started: earns its share of a retry. */
  public void onRequest() {
    add(depositMilli);
  }

  /** Spends one retry if the budget has one. */
  public boolean tryAcquire() {
    refill();
    while (true) {
      long cur = balanceMilli.get();
      if (cur < MILLI) {
        return false;
      }
      if (balanceMilli.compareAndSet(cur, cur - MILLI)) {
        return true;
      }
    }
  }

  /** Whole retries available now. */
  public long available() {
    refill();
    return balanceMilli.get() / MILLI;
  }

  private void refill() {
    if (refillMilliPerNano == 0) {
      return;
    }
    long now = nanoClock.getAsLong();
    long last = lastRefillNanos.get();
    long earned = (long) ((now - last) * refillMilliPerNano);
    // only the thread that moves the stamp credits the interval, so no time is counted twice
    if (earned > 0 && lastRefillNanos.compareAndSet(last, now)) {
      add(earned);
    }
  }

  private void add(long milli) {
    balanceMilli.accumulateAndGet(milli, (cur, d) -> Math.min(capacityMilli, cur + d));
  }
}
