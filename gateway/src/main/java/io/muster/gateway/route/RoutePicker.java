package io.muster.gateway.route;

import io.muster.gateway.lb.PickContext;
import io.muster.gateway.lb.Picker;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.pool.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The immutable picker of one route: the route's algorithm over the stable endpoints and, with a
 * canary policy, over the canary endpoints, plus the draw between the two. Equal when both inner
 * pickers and the policy are equal, so a pool change that moves nothing is skipped.
 */
public final class RoutePicker {

  private final Picker<Endpoint> stable;
  private final Picker<Endpoint> canary;
  private final CanaryPolicy policy;
  private final PickerResources resources;

  RoutePicker(Route route, List<Endpoint> endpoints, PickerResources resources) {
    this(route, endpoints, resources, null);
  }

  /** @param locality the gateway's zone, for a zone-aware route; {@code null}: zones are ignored */
  RoutePicker(Route route, List<Endpoint> endpoints, PickerResources resources, Locality locality) {
    this.policy = route.canary();
    this.resources = resources;
    if (policy == null) {
      this.stable = newPicker(route, endpoints, resources, locality);
      this.canary = route.strategy().newPicker(List.of(), resources);
    } else {
      List<Endpoint> stableSet = new ArrayList<>();
      List<Endpoint> canarySet = new ArrayList<>();
      for (Endpoint e : endpoints) {
        (policy.matches(e.instance()) ? canarySet : stableSet).add(e);
      }
      this.stable = newPicker(route, stableSet, resources, locality);
      this.canary = newPicker(route, canarySet, resources, locality);
    }
  }

  private static Picker<Endpoint> newPicker(Route route, List<Endpoint> endpoints, PickerResources resources,
      Locality locality) {
    ZoneAwarePolicy zoneAware = route.policies().zoneAware();
    if (locality == null || !zoneAware.enabled()) {
      return route.strategy().newPicker(endpoints, resources);
    }
    return new ZoneAwarePicker(route.strategy(), endpoints, resources, locality.zone(), locality.gateways(),
        zoneAware);
  }

  /** The zone plan of the stable side, or {@link ZoneRouting#OFF} (for the admin view and tests). */
  public ZoneRouting zoneRouting() {
    return stable instanceof ZoneAwarePicker z ? z.plan() : ZoneRouting.OFF;
  }

  /**
   * Chooses an endpoint.
   *
   * @param override {@code TRUE} forces the canary side, {@code FALSE} the stable side, {@code null}
   *     draws with the policy's percentage
   * @return the endpoint, or {@code null} if none is available outside {@code context.excluded()}
   */
  public Endpoint pick(PickContext context, Boolean override) {
    boolean toCanary;
    if (policy == null || canary.targets().isEmpty()) {
      toCanary = false;
    } else if (stable.targets().isEmpty()) {
      toCanary = true;
    } else if (override != null) {
      toCanary = override;
    } else {
      toCanary = resources.random().nextDouble() * 100 < policy.percent();
    }
    Endpoint chosen = (toCanary ? canary : stable).pick(context);
    if (chosen == null) {
      // every endpoint of the chosen side is excluded (a retry): availability beats the split
      chosen = (toCanary ? stable : canary).pick(context);
    }
    return chosen;
  }

  /** Number of endpoints on the stable and canary sides. */
  public int size() {
    return stable.targets().size() + canary.targets().size();
  }

  public List<Endpoint> canaryEndpoints() {
    return canary.targets();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoutePicker other && stable.equals(other.stable) && canary.equals(other.canary)
        && Objects.equals(policy, other.policy);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stable, canary);
  }

  @Override
  public String toString() {
    return "RoutePicker{stable=" + stable + ", canary=" + canary + '}';
  }
}
