package io.muster.gateway.lb;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Plain round robin: {@code index.getAndIncrement() & Integer.MAX_VALUE} modulo size. */
final class RoundRobinPicker<T extends Target> implements Picker<T> {

  private final Members<T> members;
  private final AtomicInteger index;

  /** Starts at a random offset so many gateways do not hit the same backend first. */
  RoundRobinPicker(List<T> targets, PickerResources resources) {
    this.members = new Members<>(targets);
    this.index = new AtomicInteger(members.size() == 0 ? 0 : resources.random().nextInt(members.size()));
  }

  @Override
  public T pick(PickContext context) {
    int size = members.size();
    // every step consumes a slot, so an excluded target costs one extra increment, never a lock
    int slot = 0;
    for (int attempt = 0; attempt < size; attempt++) {
      slot = (index.getAndIncrement() & Integer.MAX_VALUE) % size;
      T candidate = members.get(slot);
      if (context.allows(candidate)) {
        return candidate;
      }
    }
    // other requests took the slots in between (a retry drew the one it excludes every time): before
    // answering that none is left, look at every target once
    return size == 0 || context.excluded().isEmpty() ? null : members.firstAllowed(slot + 1, context);
  }

  @Override
  public List<T> targets() {
    return members.targets();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoundRobinPicker<?> other && members.sameTargetsAs(other.members);
  }

  @Override
  public int hashCode() {
    return members.hash();
  }

  @Override
  public String toString() {
    return "RoundRobinPicker" + members;
  }
}
