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
    this.policy = route.canary();
    this.resources = resources;
    if (policy == null) {
      this.stable = route.strategy().newPicker(endpoints, resources);
      this.canary = route.strategy().newPicker(List.of(), resources);
    } else {
      List<Endpoint> stableSet = new ArrayList<>();
      List<Endpoint> canarySet = new ArrayList<>();
      for (Endpoint e : endpoints) {
        (policy.matches(e.instance()) ? canarySet : stableSet).add(e);
      }
      this.stable = route.strategy().newPicker(stableSet, resources);
      this.canary = route.strategy().newPicker(canarySet, resources);
    }
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
