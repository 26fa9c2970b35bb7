package io.muster.gateway.route;

/**
 * Zone-aware routing of a route (Envoy's semantics, see {@link ZoneRouting}).
 *
 * @param enabled prefer the gateway's zone; off by default
 * @param minClusterSize below this many healthy endpoints the route ignores zones
 */
public record ZoneAwarePolicy(boolean enabled, int minClusterSize) {

  /** Envoy's default {@code min_cluster_size}. */
  public static final int DEFAULT_MIN_CLUSTER_SIZE = 6;
  public static final ZoneAwarePolicy OFF = new ZoneAwarePolicy(false, DEFAULT_MIN_CLUSTER_SIZE);

  public ZoneAwarePolicy {
    if (minClusterSize < 1 || minClusterSize > 100_000) {
      throw new IllegalArgumentException("zone-aware.min-cluster-size: " + minClusterSize + " (expected: 1-100000)");
    }
  }
}
