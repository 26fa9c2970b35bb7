package io.muster.gateway.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.muster.gateway.pool.Endpoint;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's meters: requests by route and status with a latency histogram, upstream errors by
 * endpoint and kind, retries by outcome. Ejections are counted by the pool.
 */
public final class ProxyMetrics {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  public ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One finished request; {@code status} is the code sent, or e.g. {@code 499} / {@code aborted}. */
  void request(String route, String service, String status, long nanos) {
    timers.computeIfAbsent(route + '\0' + service + '\0' + status, k -> Timer.builder("muster.gateway.requests")
            .description("Requests through the gateway, by route and response status")
            .tag("route", route).tag("service", service).tag("status", status)
            .publishPercentileHistogram(true)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** {@code kind}: connect, reset, timeout, status_5xx. */
  void upstreamError(Endpoint endpoint, String kind) {
    counter("muster.gateway.upstream.errors", "Failed attempts to upstream endpoints",
        "service", endpoint.service(), "endpoint", endpoint.id(), "kind", kind).increment();
  }

  /** {@code outcome}: attempted, budget_exhausted. */
  void retry(String route, String outcome) {
    counter("muster.gateway.retries", "Retries to another endpoint", "route", route, "outcome", outcome, null, null)
        .increment();
  }

  private Counter counter(String name, String description, String k1, String v1, String k2, String v2, String k3,
      String v3) {
    String key = name + '\0' + v1 + '\0' + v2 + '\0' + v3;
    return counters.computeIfAbsent(key, k -> {
      Counter.Builder b = Counter.builder(name).description(description).tag(k1, v1).tag(k2, v2);
      if (k3 != null) {
        b.tag(k3, v3);
      }
      return b.register(registry);
    });
  }
}
