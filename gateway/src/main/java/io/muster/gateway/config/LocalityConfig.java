package io.muster.gateway.config;

/**
 * Where the gateway runs, for zone-aware routes.
 *
 * @param zone the gateway's zone, as instances spell theirs (registry {@code zone}, static {@code zone})
 * @param localCluster the service under which the gateway fleet is registered (each gateway with its
 *     zone): its healthy instances per zone tell how the gateways' traffic is spread, Envoy's "local
 *     cluster". Without it the gateways are taken to be spread evenly over the zones of the route's
 *     healthy instances and their own
 */
public record LocalityConfig(String zone, String localCluster) {

  public LocalityConfig {
    zone = zone == null || zone.isBlank() ? null : zone;
    localCluster = localCluster == null || localCluster.isBlank() ? null : localCluster;
    Checks.checkArgument(localCluster == null || zone != null, "locality.local-cluster: needs locality.zone");
  }
}
