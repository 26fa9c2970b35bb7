package io.muster.gateway.route;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * Envoy's zone-aware routing, as a plan computed once per change of the endpoints and drawn from per
 * request. Percentages are in basis points (10000 = 100%), as Envoy's.
 *
 * <ul>
 *   <li>{@code local[z]}: the share of the gateways (the "local cluster") in zone {@code z};
 *       {@code upstream[z]}: the share of the route's healthy endpoints in {@code z}.
 *   <li>If {@code upstream[local] >= local[local]}, the local zone can take all of the local gateways'
 *       traffic: every request goes there ({@link Mode#DIRECT}).
 *   <li>Otherwise ({@link Mode#RESIDUAL}) only {@code upstream[local] / local[local]} of the requests
 *       stay local; the rest go to the other zones in proportion to their residual capacity
 *       {@code upstream[z] - local[z]} (zones without residual capacity get none), so that every
 *       endpoint of the service still receives about the same number of requests.
 *   <li>No zone routing ({@link Mode#OFF}): fewer healthy endpoints than {@code min-cluster-size}, fewer
 *       than two zones among the gateways, or no gateway in the local zone.
 * </ul>
 *
 * <p>Immutable; {@link #choose} is called concurrently and takes no lock.
 *
 * @param mode how requests are spread
 * @param localZone the gateway's zone
 * @param localPercentToRoute in {@link Mode#RESIDUAL}, the share of requests kept local (basis points)
 * @param zones the other zones with residual capacity, in order
 * @param residual the cumulative residual capacity up to and including each of {@code zones}
 */
public record ZoneRouting(Mode mode, String localZone, int localPercentToRoute, List<String> zones,
    long[] residual) {

  /** Basis points: 10000 is everything. */
  public static final int ALL = 10_000;

  /** How a plan spreads requests. */
  public enum Mode {
    /** Zones are ignored: the route's picker chooses among all endpoints. */
    OFF,
    /** Every request goes to the local zone. */
    DIRECT,
    /** Some requests stay local, the rest spill over by residual capacity. */
    RESIDUAL
  }

  public static final ZoneRouting OFF = new ZoneRouting(Mode.OFF, null, 0, List.of(), new long[0]);

  public ZoneRouting {
    zones = List.copyOf(zones);
    residual = residual.clone();
  }

  /**
   * The plan for one set of endpoints.
   *
   * @param localZone the gateway's zone
   * @param gateways gateways per zone (the local cluster's healthy instances), or {@code null} when
   *     unknown: then one gateway per zone of the endpoints, plus the local zone
   * @param endpoints healthy endpoints per zone (an empty zone name is a zone like any other)
   * @param minClusterSize fewer healthy endpoints than this turns zone routing off
   */
  public static ZoneRouting plan(String localZone, Map<String, Integer> gateways, Map<String, Integer> endpoints,
      int minClusterSize) {
    Objects.requireNonNull(localZone, "localZone");
    long totalEndpoints = endpoints.values().stream().mapToLong(Integer::longValue).sum();
    if (totalEndpoints < minClusterSize) {
      return OFF;
    }
    if (gateways == null) {
      java.util.Map<String, Integer> even = new java.util.HashMap<>();
      endpoints.forEach((zone, n) -> {
        if (n > 0) {
          even.put(zone, 1);
        }
      });
      even.put(localZone, 1);
      gateways = even;
    }
    long totalGateways = gateways.values().stream().mapToLong(Integer::longValue).sum();
    long zonesWithGateways = gateways.values().stream().filter(n -> n > 0).count();
    if (zonesWithGateways < 2 || gateways.getOrDefault(localZone, 0) <= 0) {
      return OFF;
    }
    TreeSet<String> others = new TreeSet<>(gateways.keySet());
    others.addAll(endpoints.keySet());
    others.remove(localZone);
    long localShare = share(gateways.getOrDefault(localZone, 0), totalGateways);
    long upstreamShare = share(endpoints.getOrDefault(localZone, 0), totalEndpoints);
    if (upstreamShare >= localShare) {
      return new ZoneRouting(Mode.DIRECT, localZone, ALL, List.of(), new long[0]);
    }
    int keepLocal = (int) (upstreamShare * ALL / localShare);
    List<String> zones = new ArrayList<>();
    List<Long> cumulative = new ArrayList<>();
    long sum = 0;
    for (String zone : others) {
      long spare = share(endpoints.getOrDefault(zone, 0), totalEndpoints)
          - share(gateways.getOrDefault(zone, 0), totalGateways);
      if (spare > 0) {
        sum += spare;
        zones.add(zone);
        cumulative.add(sum);
      }
    }
    return new ZoneRouting(Mode.RESIDUAL, localZone, keepLocal, zones,
        cumulative.stream().mapToLong(Long::longValue).toArray());
  }

  private static long share(long n, long total) {
    return total == 0 ? 0 : n * ALL / total;
  }

  /**
   * The zone for one request, or {@code null} for "any endpoint" (zone routing off, or no zone with
   * spare capacity, which rounding can leave).
   */
  public String choose(RandomGenerator random) {
    switch (mode) {
      case OFF:
        return null;
      case DIRECT:
        return localZone;
      default:
        if (random.nextInt(ALL) < localPercentToRoute) {
          return localZone;
        }
        if (residual.length == 0) {
          return null;
        }
        long t = random.nextLong(residual[residual.length - 1]);
        for (int i = 0; i < residual.length; i++) {
          if (t < residual[i]) {
            return zones.get(i);
          }
        }
        return zones.get(zones.size() - 1);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZoneRouting z && mode == z.mode && localPercentToRoute == z.localPercentToRoute
        && Objects.equals(localZone, z.localZone) && zones.equals(z.zones)
        && java.util.Arrays.equals(residual, z.residual);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, localZone, localPercentToRoute, zones, java.util.Arrays.hashCode(residual));
  }

  @Override
  public String toString() {
    return "ZoneRouting{" + mode + ", local=" + localZone + ", keepLocal=" + localPercentToRoute + "bp, spill="
        + zones + " " + java.util.Arrays.toString(residual) + '}';
  }
}
