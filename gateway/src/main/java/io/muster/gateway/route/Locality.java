package io.muster.gateway.route;

import io.muster.gateway.pool.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The gateway's zone and, when configured, how the gateway fleet (Envoy's "local cluster": a service
 * under which every gateway registers with its zone) is spread over zones. Zone-aware routes read it
 * when they build their pickers and are rebuilt when the fleet changes.
 *
 * <p>Threading: {@link #accept} is called by the local cluster's pool, serialized; it publishes an
 * immutable map through a volatile field and then tells the subscribed balancers, which rebuild under
 * their own lock.
 */
public final class Locality implements Consumer<List<Endpoint>> {

  private final String zone;
  private final boolean hasLocalCluster;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, Integer> gateways;

  /**
   * @param zone the gateway's zone
   * @param hasLocalCluster whether a local cluster feeds {@link #accept}; without one
   *     {@link #gateways()} is {@code null} (see {@link ZoneRouting#plan})
   */
  public Locality(String zone, boolean hasLocalCluster) {
    this.zone = Objects.requireNonNull(zone, "zone");
    this.hasLocalCluster = hasLocalCluster;
    this.gateways = hasLocalCluster ? Map.of() : null;
  }

  public String zone() {
    return zone;
  }

  /** Healthy gateways per zone, or {@code null} when no local cluster is configured. */
  public Map<String, Integer> gateways() {
    return gateways;
  }

  /** The local cluster's healthy instances changed. */
  @Override
  public void accept(List<Endpoint> endpoints) {
    if (!hasLocalCluster) {
      return;
    }
    Map<String, Integer> counts = new HashMap<>();
    for (Endpoint e : endpoints) {
      counts.merge(e.instance().getZone(), 1, Integer::sum);
    }
    Map<String, Integer> next = Map.copyOf(counts);
    if (!next.equals(gateways)) {
      gateways = next;
      listeners.forEach(Runnable::run);
    }
  }

  void onChange(Runnable listener) {
    listeners.add(listener);
  }
}
