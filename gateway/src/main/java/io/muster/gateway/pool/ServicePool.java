package io.muster.gateway.pool;

import io.muster.api.Routing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.muster.api.v1.Instance;
import io.muster.gateway.lb.LoadStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of one service: routable instances, minus ejected outliers, plus draining leftovers.
 *
 * <p>Threading: every state change (instance update, ejection, return, end of a drain) is serialized
 * on this pool's monitor, and listeners are called under it, in order, with the new list of active
 * endpoints. The request path never takes the monitor: it reads pickers built by the listeners and
 * updates atomics on the {@link Endpoint}; it enters the monitor only to eject (a threshold was
 * crossed) or to close a drained endpoint.
 *
 * <p>Draining: an endpoint that leaves (deregistered, unhealthy) is taken out of the active list at
 * once but is closed, and its connections with it, only when its last in-flight request finishes.
 */
public final class ServicePool {

  private static final Logger log = LoggerFactory.getLogger(ServicePool.class);

  private final String service;
  private final PoolSettings settings;
  private final LongSupplier nanoClock;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final Consumer<Endpoint> onClosed;
  private final Map<String, Endpoint> members = new LinkedHashMap<>();
  private final Set<Endpoint> draining = new LinkedHashSet<>();
  private final List<Consumer<List<Endpoint>>> listeners = new CopyOnWriteArrayList<>();
  private volatile List<Endpoint> active = List.of();
  private boolean closed;

  /**
   * @param onClosed called (under the monitor, must not block) when an endpoint is closed for good
   */
  public ServicePool(String service, PoolSettings settings, LongSupplier nanoClock, Scheduler scheduler,
      MeterRegistry meters, Consumer<Endpoint> onClosed) {
    this.service = service;
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.scheduler = scheduler;
    this.meters = meters;
    this.onClosed = onClosed;
  }

  public String service() {
    return service;
  }

  /** Endpoints that take new requests. */
  public List<Endpoint> active() {
    return active;
  }

  /** Calls {@code listener} now with the active endpoints, then after every change. */
  public synchronized void subscribe(Consumer<List<Endpoint>> listener) {
    listeners.add(listener);
    listener.accept(active);
  }

  /** Replaces the instance set (a full snapshot from the {@link InstanceSource}). */
  /**
   * Whether {@code i} is of this pool's service: {@code orders} (or {@code default/orders}) is
   * {@code orders} of the namespace {@code default}, as are static instances (they name none);
   * {@code shop/orders} is {@code orders} of {@code shop}.
   */
  private boolean isOf(Instance i) {
    String ns = i.getNamespace();
    if (ns.isEmpty() || ns.equals("default")) {
      return service.equals(i.getService()) || service.equals("default/" + i.getService());
    }
    return service.equals(ns + "/" + i.getService());
  }

  public synchronized void update(List<Instance> instances) {
    if (closed) {
      return;
    }
    Map<String, Instance> wanted = new LinkedHashMap<>();
    for (Instance i : instances) {
      String invalid = Routability.invalidReason(i);
      if (invalid != null) {
        log.warn("service {}: ignoring instance {}: {}", service, i.getId(), invalid);
      } else if (Routing.isRoutable(i) && isOf(i)) {
        wanted.put(i.getId(), i);
      }
    }
    for (var it = members.values().iterator(); it.hasNext(); ) {
      Endpoint e = it.next();
      Instance next = wanted.get(e.id());
      if (next == null || !e.sameAddress(next)) {
        it.remove();
        startDraining(e);
      }
    }
    for (Instance i : wanted.values()) {
      Endpoint e = members.get(i.getId());
      if (e == null) {
        e = reviveOrCreate(i);
        members.put(i.getId(), e);
      }
      e.instance(i);
    }
    publish();
  }

  private Endpoint reviveOrCreate(Instance i) {
    for (Endpoint d : draining) {
      if (d.id().equals(i.getId()) && d.sameAddress(i)) {
        draining.remove(d);
        d.state(EndpointState.ACTIVE);
        log.info("service {}: endpoint {} is back while draining: active again", service, d);
        return d;
      }
    }
    long now = nanoClock.getAsLong();
    return new Endpoint(this, i, new LoadStats(settings.ewmaDecay().toNanos(), now));
  }

  private void startDraining(Endpoint e) {
    e.state(EndpointState.DRAINING);
    draining.add(e);
    log.info("service {}: endpoint {} left the pool, draining {} in-flight request(s)", service, e,
        e.load().inflight());
    closeIfDrained(e);
  }

  private void closeIfDrained(Endpoint e) {
    if (e.state() == EndpointState.DRAINING && e.load().inflight() <= 0) {
      draining.remove(e);
      e.state(EndpointState.CLOSED);
      onClosed.accept(e);
    }
  }

  void finished(Endpoint e, Outcome outcome, long latencyNanos) {
    int remaining = e.load().finished(latencyNanos, nanoClock.getAsLong());
    OutlierPolicy policy = settings.outlier();
    if (outcome == Outcome.SUCCESS) {
      e.consecutiveFailures.set(0);
    } else if (outcome == Outcome.FAILURE && policy.enabled()
        && e.consecutiveFailures.incrementAndGet() >= policy.consecutiveFailures()
        && e.state() == EndpointState.ACTIVE) {
      eject(e);
    }
    if (remaining <= 0 && e.state() == EndpointState.DRAINING) {
      synchronized (this) {
        closeIfDrained(e);
      }
    }
  }

  private synchronized void eject(Endpoint e) {
    if (closed || e.state() != EndpointState.ACTIVE) {
      return;
    }
    OutlierPolicy policy = settings.outlier();
    long ejected = members.values().stream().filter(m -> m.state() == EndpointState.EJECTED).count();
    if (ejected + 1 > policy.maxEjected(members.size())) {
      log.debug("service {}: not ejecting {}: {} of {} already ejected", service, e, ejected, members.size());
      return;
    }
    long now = nanoClock.getAsLong();
    long base = policy.baseEjection().toNanos();
    if (e.ejections > 0 && e.returnedAtNanos != 0) {
      // one step of backoff is forgiven for every base period the endpoint behaved since it returned
      e.ejections = (int) Math.max(0, e.ejections - (now - e.returnedAtNanos) / base);
    }
    e.ejections++;
    long duration = policy.ejectionNanos(e.ejections);
    e.ejectedUntilNanos = now + duration;
    e.consecutiveFailures.set(0);
    e.state(EndpointState.EJECTED);
    Counter.builder("muster.gateway.ejections").description("Endpoints ejected by outlier detection")
        .tag("service", service).tag("endpoint", e.id()).register(meters).increment();
    log.warn("service {}: ejected {} for {} ms after {} consecutive failures (ejection #{})", service, e,
        duration / 1_000_000, policy.consecutiveFailures(), e.ejections);
    publish();
    scheduler.schedule(() -> returnIfDue(e), duration);
  }

  private synchronized void returnIfDue(Endpoint e) {
    if (closed || e.state() != EndpointState.EJECTED) {
      return;
    }
    long now = nanoClock.getAsLong();
    if (now - e.ejectedUntilNanos < 0) {
      scheduler.schedule(() -> returnIfDue(e), e.ejectedUntilNanos - now);
      return;
    }
    e.state(EndpointState.ACTIVE);
    e.returnedAtNanos = now;
    log.info("service {}: endpoint {} returns after ejection", service, e);
    publish();
  }

  private void publish() {
    List<Endpoint> next = new ArrayList<>(members.size());
    for (Endpoint e : members.values()) {
      if (e.state() == EndpointState.ACTIVE) {
        next.add(e);
      }
    }
    active = List.copyOf(next);
    // always notify: a weight or metadata change keeps the list but changes pickers; listeners skip
    // no-ops by comparing the pickers they build
    for (Consumer<List<Endpoint>> l : listeners) {
      l.accept(active);
    }
  }

  /** A snapshot for the admin endpoint. */
  public synchronized PoolStatus status() {
    long now = nanoClock.getAsLong();
    List<PoolStatus.EndpointStatus> out = new ArrayList<>();
    for (Endpoint e : members.values()) {
      out.add(statusOf(e, now));
    }
    for (Endpoint e : draining) {
      out.add(statusOf(e, now));
    }
    return new PoolStatus(service, out);
  }

  private static PoolStatus.EndpointStatus statusOf(Endpoint e, long now) {
    long ejectedFor = e.state() == EndpointState.EJECTED ? Math.max(0, (e.ejectedUntilNanos - now) / 1_000_000) : 0;
    return new PoolStatus.EndpointStatus(e.id(), e.authority(), e.state().label(), e.instance().getHealth().name(),
        e.weight(), e.load().inflight(), e.load().ewmaNanos(now) / 1e6, e.consecutiveFailures.get(), e.ejections,
        ejectedFor);
  }

  /** Closes every endpoint at once, in-flight or not; later updates are ignored. */
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Endpoint> all = new ArrayList<>(members.values());
    all.addAll(draining);
    members.clear();
    draining.clear();
    active = List.of();
    for (Endpoint e : all) {
      e.state(EndpointState.CLOSED);
      onClosed.accept(e);
    }
  }
}
