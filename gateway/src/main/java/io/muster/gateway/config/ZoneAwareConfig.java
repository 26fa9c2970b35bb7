package io.muster.gateway.config;

import io.muster.gateway.route.ZoneAwarePolicy;

/**
 * Zone-aware routing of a route: prefer instances in the gateway's zone ({@code locality.zone}) while
 * that zone has its share of healthy instances, spill over in proportion when not.
 *
 * @param enabled default true when the section is present
 * @param minClusterSize healthy instances below which zones are ignored, default 6 (Envoy's)
 */
public record ZoneAwareConfig(Boolean enabled, Integer minClusterSize) {

  public ZoneAwareConfig {
    enabled = enabled == null || enabled;
    minClusterSize = minClusterSize == null ? ZoneAwarePolicy.DEFAULT_MIN_CLUSTER_SIZE : minClusterSize;
    new ZoneAwarePolicy(enabled, minClusterSize); // validates
  }

  public ZoneAwarePolicy toPolicy() {
    return new ZoneAwarePolicy(enabled, minClusterSize);
  }
}
