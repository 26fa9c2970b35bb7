package io.muster.gateway.lb;

/**
 * Something a {@link Picker} can choose: the algorithms in this package know nothing else about it
 * (no addresses, no HTTP).
 *
 * <p>Identity matters: pickers compare targets with {@code equals}, and the pool hands out the same
 * object for the same backend for as long as it lives, so identity equality is what implementations
 * should keep.
 */
public interface Target {

  /** Stable identity used by consistent hashing; two targets of one picker never share a key. */
  String key();

  /** Relative weight, at least 1. Pickers snapshot it when they are built. */
  int weight();

  /** Live load counters (in-flight requests, latency EWMA). */
  LoadStats load();
}
