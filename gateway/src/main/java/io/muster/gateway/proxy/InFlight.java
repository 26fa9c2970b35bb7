package io.muster.gateway.proxy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts exchanges in progress, so shutdown can wait for them; also carries the draining flag. */
final class InFlight {

  private final AtomicInteger count = new AtomicInteger();
  private final Object lock = new Object();
  private volatile boolean draining;

  void increment() {
    count.incrementAndGet();
  }

  void decrement() {
    if (count.decrementAndGet() == 0 && draining) {
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  int get() {
    return count.get();
  }

  boolean draining() {
    return draining;
  }

  void startDraining() {
    draining = true;
  }

  /** Waits until no exchange is in progress. @return false on timeout */
  boolean awaitZero(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (count.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }
}
