package io.muster.gateway.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The one deadline task of a connection, armed lazily: {@link #armBy} only ever moves the pending
 * check earlier, never later, and when the check runs its owner decides what is really due and arms
 * again. A busy keep-alive connection therefore schedules about once per timeout, not once per
 * request (a schedule and a cancel per request, plus Netty's idle handler adding a listener to every
 * write, were a visible share of the proxy's CPU).
 *
 * <p>Confined to the connection's event loop.
 */
final class ConnectionTimer {

  private final EventExecutor loop;
  private final LongSupplier nanoClock;
  private final Runnable check;
  private ScheduledFuture<?> task;
  private long dueNanos;
  private boolean closed;

  /**
   * @param loop the connection's event loop
   * @param nanoClock the clock deadlines are given in
   * @param check runs on {@code loop} when a deadline may have passed; it re-arms what is still pending
   */
  ConnectionTimer(EventExecutor loop, LongSupplier nanoClock, Runnable check) {
    this.loop = loop;
    this.nanoClock = nanoClock;
    this.check = check;
  }

  /** Makes sure the check runs no later than {@code deadlineNanos}. */
  void armBy(long deadlineNanos) {
    if (closed) {
      return;
    }
    if (task != null) {
      if (dueNanos - deadlineNanos <= 0) {
        return;
      }
      task.cancel(false);
    }
    dueNanos = deadlineNanos;
    task = loop.schedule(this::fire, Math.max(0, deadlineNanos - nanoClock.getAsLong()), TimeUnit.NANOSECONDS);
  }

  /** Whether a check is pending (for tests). */
  boolean armed() {
    return task != null;
  }

  /** Cancels the pending check for good. */
  void close() {
    closed = true;
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  private void fire() {
    task = null;
    if (!closed) {
      check.run();
    }
  }
}
