package io.muster.gateway.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.route.Route;
import io.netty.handler.codec.http2.Http2Error;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The proxy's meters: requests by route and status with a latency histogram, upstream errors by
 * endpoint and kind, retries by outcome. Ejections are counted by the pool.
 */
public final class ProxyMetrics {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<RouteKey, AtomicReferenceArray<Timer>> requestTimers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  private final AtomicInteger tunnels = new AtomicInteger();

  public ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("muster.gateway.tunnels", tunnels, AtomicInteger::get)
        .description("Upgraded connections (WebSocket) being relayed; not counted as requests in flight")
        .register(registry);
  }

  void tunnelOpened() {
    tunnels.incrementAndGet();
  }

  void tunnelClosed() {
    tunnels.decrementAndGet();
  }

  /** {@link #request} status of an exchange aborted after response bytes went out. */
  static final int ABORTED = -1;
  /** {@link #request} status of an exchange whose client went away (nginx's 499). */
  static final int CLIENT_CLOSED = 499;
  private static final int SLOTS = 601; // status codes 0..599, and ABORTED

  private record RouteKey(String route, String service) {}

  /**
   * One finished request.
   *
   * @param route its route, or null when none matched
   * @param status the code sent, {@link #CLIENT_CLOSED} or {@link #ABORTED}
   */
  void request(Route route, int status, long nanos) {
    String name = route == null ? "none" : route.name();
    String service = route == null ? "none" : route.service();
    AtomicReferenceArray<Timer> slots = requestTimers.computeIfAbsent(new RouteKey(name, service),
        k -> new AtomicReferenceArray<>(SLOTS));
    int slot = status >= 0 && status < SLOTS - 1 ? status : SLOTS - 1;
    Timer t = slots.get(slot);
    if (t == null) {
      // registering is idempotent: a race stores the same meter twice
      t = Timer.builder("muster.gateway.requests")
          .description("Requests through the gateway, by route and response status")
          .tag("route", name).tag("service", service).tag("status", status == ABORTED ? "aborted" : Integer.toString(status))
          .publishPercentileHistogram(true)
          .register(registry);
      slots.set(slot, t);
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * {@code kind}: connect, reset, timeout, status_5xx (count toward ejection); pool_unavailable (the
   * connection limit, an endpoint closed while picked), local (a channel the gateway closed before it
   * connected) do not.
   */
  void upstreamError(Endpoint endpoint, String kind) {
    counter("muster.gateway.upstream.errors", "Failed attempts to upstream endpoints",
        "service", endpoint.service(), "endpoint", endpoint.id(), "kind", kind).increment();
  }

  /** {@code outcome}: attempted, budget_exhausted. */
  void retry(String route, String outcome) {
    counter("muster.gateway.retries", "Retries to another endpoint", "route", route, "outcome", outcome, null, null)
        .increment();
  }

  /**
   * The gateway sent GOAWAY to an HTTP/2 client: {@code no_error} for idle and shutdown closes,
   * {@code enhance_your_calm} for a client that broke an {@link Http2Limits} bound (flood, rapid reset),
   * {@code protocol_error} and others for broken clients.
   */
  void http2GoAwaySent(long errorCode) {
    Http2Error e = Http2Error.valueOf(errorCode);
    String name = e == null ? "unknown_" + errorCode : e.name().toLowerCase(java.util.Locale.ROOT);
    counter("muster.gateway.http2.goaway.sent", "GOAWAY frames sent to HTTP/2 clients, by error code", "error", name,
        null, null, null, null).increment();
  }

  private Counter counter(String name, String description, String k1, String v1, String k2, String v2, String k3,
      String v3) {
    String key = name + '\0' + v1 + '\0' + v2 + '\0' + v3;
    return counters.computeIfAbsent(key, k -> {
      Counter.Builder b = Counter.builder(name).description(description).tag(k1, v1);
      if (k2 != null) {
        b.tag(k2, v2);
      }
      if (k3 != null) {
        b.tag(k3, v3);
      }
      return b.register(registry);
    });
  }
}
