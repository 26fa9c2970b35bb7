package io.muster.gateway.lb;

import java.util.Arrays;
import java.util.List;

/**
 * Consistent hashing on a ring with virtual nodes (ketama style): each target owns about
 * {@value #VNODES_PER_TARGET} points scaled by its share of the total weight; a key goes to the owner
 * of the first point at or after its hash. Removing a target moves only the keys it owned.
 *
 * <p>A request without a hash key gets a random target. An excluded owner (a retry) passes the key
 * to the next distinct owner clockwise, which is where the key would go if that target left.
 */
final class ConsistentHashPicker<T extends Target> implements Picker<T> {

  static final int VNODES_PER_TARGET = 160;

  private final Members<T> members;
  private final PickerResources resources;
  private final long[] points;
  private final int[] owners;

  ConsistentHashPicker(List<T> targets, PickerResources resources) {
    this.members = new Members<>(targets);
    this.resources = resources;
    int n = members.size();
    long totalWeight = 0;
    for (int i = 0; i < n; i++) {
      totalWeight += members.weight(i);
    }
    int[] vnodes = new int[n];
    int ringSize = 0;
    for (int i = 0; i < n; i++) {
      vnodes[i] = (int) Math.max(1, Math.round((double) VNODES_PER_TARGET * members.weight(i) * n / totalWeight));
      ringSize += vnodes[i];
    }
    long[] packedHashes = new long[ringSize];
    int[] packedOwners = new int[ringSize];
    Integer[] order = new Integer[ringSize];
    int k = 0;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String key = members.get(i).key();
      for (int v = 0; v < vnodes[i]; v++) {
        sb.setLength(0);
        packedHashes[k] = Hashing.hash64(sb.append(key).append('#').append(v));
        packedOwners[k] = i;
        order[k] = k;
        k++;
      }
    }
    // ties between points are broken by owner key so the ring does not depend on input order
    Arrays.sort(order, (x, y) -> {
      int c = Long.compare(packedHashes[x], packedHashes[y]);
      return c != 0 ? c : members.get(packedOwners[x]).key().compareTo(members.get(packedOwners[y]).key());
    });
    this.points = new long[ringSize];
    this.owners = new int[ringSize];
    for (int j = 0; j < ringSize; j++) {
      points[j] = packedHashes[order[j]];
      owners[j] = packedOwners[order[j]];
    }
  }

  @Override
  public T pick(PickContext context) {
    int n = members.size();
    if (n == 0) {
      return null;
    }
    if (context.hashKey() == null) {
      return randomAllowed(context);
    }
    int at = Arrays.binarySearch(points, Hashing.hash64(context.hashKey()));
    if (at < 0) {
      at = -at - 1;
    }
    for (int step = 0; step < points.length; step++) {
      T owner = members.get(owners[(at + step) % points.length]);
      if (context.allows(owner)) {
        return owner;
      }
    }
    return null;
  }

  private T randomAllowed(PickContext context) {
    int n = members.size();
    int start = resources.random().nextInt(n);
    for (int i = 0; i < n; i++) {
      T candidate = members.get((start + i) % n);
      if (context.allows(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  @Override
  public List<T> targets() {
    return members.targets();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConsistentHashPicker<?> other && members.sameAs(other.members);
  }

  @Override
  public int hashCode() {
    return members.hash();
  }

  @Override
  public String toString() {
    return "ConsistentHashPicker" + members;
  }
}
