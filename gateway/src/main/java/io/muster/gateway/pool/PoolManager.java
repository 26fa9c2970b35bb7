package io.muster.gateway.pool;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One {@link ServicePool} per service, each fed by an {@link InstanceSource} subscription opened the
 * first time a route asks for the service.
 */
public final class PoolManager implements AutoCloseable {

  private final InstanceSource source;
  private final PoolSettings settings;
  private final LongSupplier nanoClock;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final Consumer<Endpoint> onEndpointClosed;
  private final Map<String, ServicePool> pools = new TreeMap<>();
  private boolean closed;

  /**
   * @param onEndpointClosed told when an endpoint is gone for good, to release its connections; must
   *     not block
   */
  public PoolManager(InstanceSource source, PoolSettings settings, LongSupplier nanoClock, Scheduler scheduler,
      MeterRegistry meters, Consumer<Endpoint> onEndpointClosed) {
    this.source = source;
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.scheduler = scheduler;
    this.meters = meters;
    this.onEndpointClosed = onEndpointClosed;
  }

  /** The pool of {@code service}, subscribing to the source on first use. */
  public synchronized ServicePool pool(String service) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    ServicePool pool = pools.get(service);
    if (pool == null) {
      pool = new ServicePool(service, settings, nanoClock, scheduler, meters, onEndpointClosed);
      pools.put(service, pool);
      source.subscribe(service, pool::update);
    }
    return pool;
  }

  /** Snapshots of every pool, by service name. */
  public List<PoolStatus> status() {
    List<ServicePool> snapshot;
    synchronized (this) {
      snapshot = new ArrayList<>(pools.values());
    }
    return snapshot.stream().map(ServicePool::status).toList();
  }

  /** Closes every pool; the source is left open (its owner closes it). */
  @Override
  public void close() {
    List<ServicePool> snapshot;
    synchronized (this) {
      closed = true;
      snapshot = new ArrayList<>(pools.values());
    }
    snapshot.forEach(ServicePool::close);
  }
}
