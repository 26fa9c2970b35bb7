package io.muster.gateway.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: draw two distinct targets at random, keep the one with the lower score. The
 * score is what distinguishes least-request (requests in flight) from peak EWMA (latency times load).
 * On a tie the first draw wins.
 */
abstract class PowerOfTwoChoicesPicker<T extends Target> implements Picker<T> {

  final Members<T> members;
  final PickerResources resources;

  PowerOfTwoChoicesPicker(List<T> targets, PickerResources resources) {
    this.members = new Members<>(targets);
    this.resources = resources;
  }

  /** Lower is better. */
  abstract double score(T target, long nowNanos);

  @Override
  public final T pick(PickContext context) {
    List<T> candidates = members.targets();
    if (!context.excluded().isEmpty()) {
      // only retries get here: the allocation stays off the common path
      candidates = new ArrayList<>(candidates.size());
      for (T t : members.targets()) {
        if (context.allows(t)) {
          candidates.add(t);
        }
      }
    }
    int n = candidates.size();
    if (n <= 1) {
      return n == 0 ? null : candidates.get(0);
    }
    RandomGenerator random = resources.random();
    int first = random.nextInt(n);
    int second = random.nextInt(n - 1);
    if (second >= first) {
      second++;
    }
    T a = candidates.get(first);
    T b = candidates.get(second);
    long now = resources.nanoClock().getAsLong();
    return score(b, now) < score(a, now) ? b : a;
  }

  @Override
  public final List<T> targets() {
    return members.targets();
  }

  @Override
  public final boolean equals(Object o) {
    return o != null && o.getClass() == getClass()
        && members.sameTargetsAs(((PowerOfTwoChoicesPicker<?>) o).members);
  }

  @Override
  public final int hashCode() {
    return members.hash();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + members;
  }
}
