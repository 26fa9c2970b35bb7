package io.muster.gateway.lb;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * nginx's smooth weighted round robin. The algorithm is stateful (every pick adds each weight to a
 * running "current weight" and subtracts the total from the winner), but its output is periodic with
 * period {@code sum(weights) / gcd(weights)}. The picker therefore runs it once at build time into a
 * schedule and serves picks from the schedule with an atomic index: same sequence, no lock.
 *
 * <p>Weights 5, 1, 1 give {@code a a b a c a a}. A period above {@link #MAX_PERIOD} is scaled down
 * proportionally (at most 1 step in {@value #MAX_PERIOD} off the exact share).
 */
final class SmoothWeightedRoundRobinPicker<T extends Target> implements Picker<T> {

  static final int MAX_PERIOD = 1 << 14;

  private final Members<T> members;
  private final int[] schedule;
  private final AtomicInteger index;

  SmoothWeightedRoundRobinPicker(List<T> targets, PickerResources resources) {
    this.members = new Members<>(targets);
    this.schedule = buildSchedule(members);
    this.index = new AtomicInteger(schedule.length == 0 ? 0 : resources.random().nextInt(schedule.length));
  }

  static int[] buildSchedule(Members<?> members) {
    int n = members.size();
    if (n == 0) {
      return new int[0];
    }
    long[] weights = new long[n];
    long gcd = 0;
    long total = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = members.weight(i);
      gcd = gcd(gcd, weights[i]);
    }
    for (int i = 0; i < n; i++) {
      weights[i] /= gcd;
      total += weights[i];
    }
    if (total > MAX_PERIOD) {
      long scaled = 0;
      for (int i = 0; i < n; i++) {
        weights[i] = Math.max(1, Math.round((double) weights[i] * MAX_PERIOD / total));
        scaled += weights[i];
      }
      total = scaled;
    }
    int[] schedule = new int[(int) total];
    long[] current = new long[n];
    for (int step = 0; step < schedule.length; step++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        current[i] += weights[i];
        // strict '>': on a tie the earlier target wins, as in nginx
        if (best < 0 || current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      schedule[step] = best;
    }
    return schedule;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  @Override
  public T pick(PickContext context) {
    int period = schedule.length;
    int member = 0;
    for (int attempt = 0; attempt < period; attempt++) {
      member = schedule[(index.getAndIncrement() & Integer.MAX_VALUE) % period];
      T candidate = members.get(member);
      if (context.allows(candidate)) {
        return candidate;
      }
    }
    // other requests took the slots in between: before answering that none is left, look at every
    // target once
    return period == 0 || context.excluded().isEmpty() ? null : members.firstAllowed(member + 1, context);
  }

  @Override
  public List<T> targets() {
    return members.targets();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SmoothWeightedRoundRobinPicker<?> other && members.sameAs(other.members);
  }

  @Override
  public int hashCode() {
    return members.hash();
  }

  @Override
  public String toString() {
    return "SmoothWeightedRoundRobinPicker" + members;
  }
}
