package io.muster.gateway.proxy;

import io.muster.gateway.lb.PickContext;
import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.pool.Outcome;
import io.muster.gateway.route.Route;
import io.muster.gateway.route.RouteBalancer;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The endpoints one request has tried: picks the next one (never one already tried), and makes sure
 * every {@link Endpoint#started()} is matched by exactly one {@link Endpoint#finished}.
 * Confined to the exchange's event loop.
 */
final class Attempts {

  private final RouteBalancer balancer;
  private final LongSupplier nanoClock;
  private final String hashKey;
  private final Boolean canaryOverride;
  private final Set<Endpoint> tried = new HashSet<>(4);
  private int count;
  private Endpoint current;
  /** The endpoint of the latest attempt, finished or not (the access log's upstream). */
  private Endpoint last;
  private long startNanos;

  Attempts(RouteBalancer balancer, HttpHeaders headers, LongSupplier nanoClock) {
    Route route = balancer.route();
    this.balancer = balancer;
    this.nanoClock = nanoClock;
    this.hashKey = route.hashKey() == null ? null : route.hashKey().extract(headers);
    this.canaryOverride = route.canary() == null || route.canary().header() == null
        ? null : route.canary().override(headers.get(route.canary().header()));
  }

  /** The next endpoint to try, or {@code null} when every available one was tried. */
  Endpoint pickNext() {
    return balancer.pick(new PickContext(hashKey, tried), canaryOverride);
  }

  /**
   * As {@link #pickNext()}; with {@code reuseTried}, when every endpoint was tried, one of them again
   * (the route's pick as for a first attempt).
   */
  Endpoint pickNext(boolean reuseTried) {
    Endpoint e = pickNext();
    return e != null || !reuseTried ? e : balancer.pick(new PickContext(hashKey, null), canaryOverride);
  }

  /** When the attempt in progress (or the last one) started. */
  long startNanos() {
    return startNanos;
  }

  /** Starts an attempt on {@code e}. @return its number, to recognise late callbacks of older ones */
  int begin(Endpoint e) {
    count++;
    tried.add(e);
    current = e;
    last = e;
    startNanos = nanoClock.getAsLong();
    e.started();
    return count;
  }

  boolean isLatest(int attempt) {
    return attempt == count;
  }

  /** Attempts made so far, the first included. */
  int count() {
    return count;
  }

  /** The endpoint of the attempt in progress, or {@code null} once it finished. */
  Endpoint current() {
    return current;
  }

  /** The endpoint of the latest attempt, also once it finished, or {@code null} before the first. */
  Endpoint last() {
    return last;
  }

  long elapsedNanos() {
    return nanoClock.getAsLong() - startNanos;
  }

  /** Ends the attempt in progress, if any. */
  void finish(Outcome outcome, long latencyNanos) {
    Endpoint e = current;
    if (e != null) {
      current = null;
      e.finished(outcome, latencyNanos);
    }
  }
}
