package io.muster.gateway.proxy;

import io.muster.gateway.route.Route;
import io.netty.channel.EventLoop;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The deadlines of one exchange, checked by a single re-armed task on the exchange's event loop:
 * from the end of the request to the response head the route's request timeout; before and after
 * that (bodies streaming) the route's idle timeout since the last chunk in either direction.
 */
final class ExchangeTimer {

  /** What the exchange does when a deadline passes. */
  interface Expiry {
    /** True while the request was fully sent and no response head arrived yet. */
    boolean waitingForHead();

    /** When the client finished sending the request (valid when {@link #waitingForHead()}). */
    long requestCompleteNanos();

    void requestTimedOut();

    void idleTimedOut();
  }

  private final EventLoop loop;
  private final LongSupplier nanoClock;
  private final Route route;
  private final Expiry expiry;
  private long lastActivityNanos;
  private ScheduledFuture<?> task;
  private boolean cancelled;

  ExchangeTimer(EventLoop loop, LongSupplier nanoClock, Route route, Expiry expiry) {
    this.loop = loop;
    this.nanoClock = nanoClock;
    this.route = route;
    this.expiry = expiry;
    this.lastActivityNanos = nanoClock.getAsLong();
  }

  void start() {
    schedule(Math.min(route.idleTimeout().toNanos(), route.requestTimeout().toNanos()));
  }

  /** Data moved: the idle deadline starts over. @return now */
  long touch() {
    lastActivityNanos = nanoClock.getAsLong();
    return lastActivityNanos;
  }

  void cancel() {
    cancelled = true;
    if (task != null) {
      task.cancel(false);
    }
  }

  private void schedule(long delayNanos) {
    task = loop.schedule(this::check, Math.max(delayNanos, 1_000_000), TimeUnit.NANOSECONDS);
  }

  private void check() {
    if (cancelled) {
      return;
    }
    boolean waitingForHead = expiry.waitingForHead();
    long deadline = waitingForHead
        ? expiry.requestCompleteNanos() + route.requestTimeout().toNanos()
        : lastActivityNanos + route.idleTimeout().toNanos();
    long now = nanoClock.getAsLong();
    if (now - deadline < 0) {
      schedule(deadline - now);
    } else if (waitingForHead) {
      expiry.requestTimedOut();
    } else {
      expiry.idleTimedOut();
    }
  }
}
