package io.muster.gateway.lb;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The targets of one picker with the weights captured when it was built. Two snapshots are equal when
 * they hold the same targets (by {@code equals}: identity for pool endpoints), in any order, with the
 * same weights: that is what makes a rebuilt picker a no-op.
 */
final class Members<T extends Target> {

  private final List<T> targets;
  private final int[] weights;
  private final Map<T, Integer> weightByTarget;

  Members(List<T> targets) {
    this.targets = Collections.unmodifiableList(new ArrayList<>(targets));
    this.weights = new int[this.targets.size()];
    this.weightByTarget = new HashMap<>();
    for (int i = 0; i < weights.length; i++) {
      T t = this.targets.get(i);
      weights[i] = Math.max(1, t.weight());
      if (weightByTarget.put(t, weights[i]) != null) {
        throw new IllegalArgumentException("duplicate target: " + t.key());
      }
    }
  }

  List<T> targets() {
    return targets;
  }

  int size() {
    return weights.length;
  }

  T get(int i) {
    return targets.get(i);
  }

  /**
   * The first target {@code context} allows, looking at each once from position {@code from}; null
   * when it allows none. The rotating pickers' fallback: their shared index moves under concurrent
   * picks, so the slots one pick draws may all land on excluded targets while another is allowed.
   */
  T firstAllowed(int from, PickContext context) {
    int size = size();
    for (int k = 0; k < size; k++) {
      T candidate = get(Math.floorMod(from + k, size));
      if (context.allows(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  int weight(int i) {
    return weights[i];
  }

  /** Same targets with the same weights, in any order. */
  boolean sameAs(Members<?> other) {
    return weightByTarget.equals(other.weightByTarget);
  }

  /** Same targets, in any order, weights ignored (for algorithms that do not use weights). */
  boolean sameTargetsAs(Members<?> other) {
    return weightByTarget.keySet().equals(other.weightByTarget.keySet());
  }

  int hash() {
    return weightByTarget.keySet().hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < weights.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(targets.get(i).key()).append('=').append(weights[i]);
    }
    return sb.append(']').toString();
  }
}
