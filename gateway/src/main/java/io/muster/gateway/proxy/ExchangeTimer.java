package io.muster.gateway.proxy;

import io.muster.gateway.route.Route;
import java.util.function.LongSupplier;

/**
 * The deadlines of one exchange: from the end of the request to the response head the route's request
 * timeout; before and after that (bodies streaming) the route's idle timeout since the last chunk in
 * either direction. Checked by the client connection's {@link ConnectionTimer}, which it arms.
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

    /** The client's own deadline ({@code grpc-timeout}) passed. */
    void deadlineExceeded();
  }

  private final ConnectionTimer connectionTimer;
  private final LongSupplier nanoClock;
  private final Route route;
  private final Expiry expiry;
  private long lastActivityNanos;
  /** The client's deadline; meaningful only when {@link #hasDeadline}. */
  private long deadlineNanos;
  private boolean hasDeadline;
  private boolean cancelled;

  ExchangeTimer(ConnectionTimer connectionTimer, LongSupplier nanoClock, Route route, Expiry expiry) {
    this.connectionTimer = connectionTimer;
    this.nanoClock = nanoClock;
    this.route = route;
    this.expiry = expiry;
    this.lastActivityNanos = nanoClock.getAsLong();
  }

  /** Sets the client's deadline ({@code grpc-timeout}); call before {@link #start}. */
  void deadline(long atNanos) {
    deadlineNanos = atNanos;
    hasDeadline = true;
  }

  void start() {
    long first = lastActivityNanos + Math.min(route.idleTimeout().toNanos(), route.requestTimeout().toNanos());
    connectionTimer.armBy(hasDeadline && deadlineNanos - first < 0 ? deadlineNanos : first);
  }

  /** Data moved: the idle deadline starts over (deadlines only move later: nothing to re-arm). @return now */
  long touch() {
    lastActivityNanos = nanoClock.getAsLong();
    return lastActivityNanos;
  }

  void cancel() {
    cancelled = true;
  }

  /** Called by the connection's timer: expires the exchange, or arms the timer for its next deadline. */
  void check() {
    if (cancelled) {
      return;
    }
    boolean waitingForHead = expiry.waitingForHead();
    long deadline = waitingForHead
        ? expiry.requestCompleteNanos() + route.requestTimeout().toNanos()
        : lastActivityNanos + route.idleTimeout().toNanos();
    long now = nanoClock.getAsLong();
    if (hasDeadline && now - deadlineNanos >= 0) {
      expiry.deadlineExceeded();
    } else if (now - deadline < 0) {
      connectionTimer.armBy(hasDeadline && deadlineNanos - deadline < 0 ? deadlineNanos : deadline);
    } else if (waitingForHead) {
      expiry.requestTimedOut();
    } else {
      expiry.idleTimedOut();
    }
  }
}
