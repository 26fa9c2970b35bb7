package io.muster.gateway.route;

import io.muster.gateway.lb.PickContext;
import io.muster.gateway.lb.Picker;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.lb.Strategy;
import io.muster.gateway.pool.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The route's algorithm per zone, behind a {@link ZoneRouting} draw: a request first gets a zone (the
 * local one, or a spill-over zone), then an endpoint of that zone. When every endpoint of the drawn
 * zone is excluded (a retry), the pick falls back to all endpoints.
 *
 * <p>Immutable and lock-free like every {@link Picker}; equal when the endpoints, their zones and the
 * plan are, so a pool update that moves nothing is skipped.
 */
final class ZoneAwarePicker implements Picker<Endpoint> {

  private final Picker<Endpoint> all;
  private final Map<String, Picker<Endpoint>> byZone;
  private final List<String> zoneOf;
  private final ZoneRouting plan;
  private final PickerResources resources;

  /**
   * @param gateways the local cluster's healthy instances per zone, or {@code null} when not configured
   */
  ZoneAwarePicker(Strategy strategy, List<Endpoint> endpoints, PickerResources resources, String localZone,
      Map<String, Integer> gateways, ZoneAwarePolicy policy) {
    this.resources = resources;
    this.all = strategy.newPicker(endpoints, resources);
    Map<String, List<Endpoint>> split = new LinkedHashMap<>();
    List<String> zones = new ArrayList<>(endpoints.size());
    Map<String, Integer> counts = new HashMap<>();
    for (Endpoint e : endpoints) {
      String zone = e.instance().getZone();
      zones.add(zone);
      split.computeIfAbsent(zone, z -> new ArrayList<>()).add(e);
      counts.merge(zone, 1, Integer::sum);
    }
    this.zoneOf = List.copyOf(zones);
    this.plan = ZoneRouting.plan(localZone, gateways, counts, policy.minClusterSize());
    Map<String, Picker<Endpoint>> pickers = new HashMap<>();
    if (plan.mode() != ZoneRouting.Mode.OFF) {
      split.forEach((zone, list) -> pickers.put(zone, strategy.newPicker(list, resources)));
    }
    this.byZone = Map.copyOf(pickers);
  }

  @Override
  public Endpoint pick(PickContext context) {
    String zone = plan.choose(resources.random());
    Picker<Endpoint> p = zone == null ? null : byZone.get(zone);
    Endpoint chosen = p == null ? null : p.pick(context);
    return chosen != null ? chosen : all.pick(context);
  }

  @Override
  public List<Endpoint> targets() {
    return all.targets();
  }

  ZoneRouting plan() {
    return plan;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZoneAwarePicker z && all.equals(z.all) && zoneOf.equals(z.zoneOf) && plan.equals(z.plan);
  }

  @Override
  public int hashCode() {
    return Objects.hash(all, plan);
  }

  @Override
  public String toString() {
    return "ZoneAwarePicker{" + plan + ", " + all + '}';
  }
}
