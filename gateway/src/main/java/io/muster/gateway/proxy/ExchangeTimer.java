package io.muster.gateway.proxy;

import io.muster.gateway.route.Route;
import java.util.function.LongSupplier;

/**
 * The deadlines of one exchange: from the end of the request to the response head the route's request
 * timeout; before and after that (bodies streaming) the route's idle timeout since the last chunk in
 * either direction; with a per-try timeout, each attempt's wait for its head too. Checked by the
 * client connection's {@link ConnectionTimer}, which it arms.
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

    /** When the attempt in progress started (valid when {@link #waitingForHead()}). */
    long attemptStartNanos();

    /** The attempt in progress waited longer than the route's per-try timeout for its head. */
    void tryTimedOut();

    /** A retry waits for its back-off: no attempt is in progress, so no per-try timeout runs. */
    boolean backingOff();
  }

  private final ConnectionTimer connectionTimer;
  private final LongSupplier nanoClock;
  private final Route route;
  private final Expiry expiry;
  /** The route's per-try timeout in nanoseconds, or 0 for none. */
  private final long perTryNanos;
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
    var perTry = route.policies().retry().perTryTimeout();
    this.perTryNanos = perTry == null ? 0 : perTry.toNanos();
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

  /**
   * The request is complete, or an attempt started: the head deadlines (request, per-try) may now be
   * nearer than the check armed while the body streamed.
   */
  void headDeadlinesFrom(long nowNanos) {
    long d = nowNanos + route.requestTimeout().toNanos();
    if (perTryNanos > 0 && perTryNanos < route.requestTimeout().toNanos()) {
      d = nowNanos + perTryNanos;
    }
    connectionTimer.armBy(d);
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
    long tryDeadline = 0;
    boolean tryDue = false;
    if (waitingForHead && perTryNanos > 0 && !expiry.backingOff()) {
      long from = expiry.attemptStartNanos() - expiry.requestCompleteNanos() > 0
          ? expiry.attemptStartNanos() : expiry.requestCompleteNanos();
      tryDeadline = from + perTryNanos;
      tryDue = now - tryDeadline >= 0;
    }
    if (hasDeadline && now - deadlineNanos >= 0) {
      expiry.deadlineExceeded();
    } else if (waitingForHead && now - deadline >= 0) {
      expiry.requestTimedOut();
    } else if (tryDue) {
      expiry.tryTimedOut();
    } else if (now - deadline < 0) {
      long next = tryDeadline != 0 && tryDeadline - deadline < 0 ? tryDeadline : deadline;
      connectionTimer.armBy(hasDeadline && deadlineNanos - next < 0 ? deadlineNanos : next);
    } else {
      expiry.idleTimedOut();
    }
  }
}
