package io.muster.gateway.route;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.testkit.UnitTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The zone plan and its draws, exactly (Envoy's percentages in basis points) and statistically with a
 * seeded {@link Random}.
 */
@UnitTest
class ZoneRoutingSpreadsLikeEnvoyTest {

  private static Map<String, Integer> draw(ZoneRouting plan, int n, long seed) {
    Random random = new Random(seed);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String zone = plan.choose(random);
      counts.merge(zone == null ? "any" : zone, 1, Integer::sum);
    }
    return counts;
  }

  private static void assertShare(Map<String, Integer> counts, String zone, double expected, int n) {
    double share = counts.getOrDefault(zone, 0) / (double) n;
    assertTrue(Math.abs(share - expected) < 0.01, zone + ": " + share + " (expected " + expected + ") in " + counts);
  }

  @Test
  void envoysOwnExampleKeepsWhatTheLocalZoneCanTakeAndSpillsTheRestByResidualCapacity() {
    // gateways 40% / 40% / 20%, endpoints 25% / 50% / 25% (the example in Envoy's source)
    ZoneRouting plan = ZoneRouting.plan("a", Map.of("a", 2, "b", 2, "c", 1), Map.of("a", 1, "b", 2, "c", 1), 1);
    assertEquals(ZoneRouting.Mode.RESIDUAL, plan.mode());
    assertEquals(6250, plan.localPercentToRoute(), "2500 / 4000 of the requests stay local");
    assertEquals(List.of("b", "c"), plan.zones());
    assertArrayEquals(new long[] {1000, 1500}, plan.residual(), "b has 5000-4000 spare, c 2500-2000");

    int n = 200_000;
    Map<String, Integer> counts = draw(plan, n, 42);
    assertShare(counts, "a", 0.625, n);
    assertShare(counts, "b", 0.375 * 2 / 3, n);
    assertShare(counts, "c", 0.375 / 3, n);
  }

  @Test
  void aLocalZoneWithAtLeastItsShareTakesEverything() {
    ZoneRouting plan = ZoneRouting.plan("a", null, Map.of("a", 3, "b", 3), 6);
    assertEquals(ZoneRouting.Mode.DIRECT, plan.mode());
    assertEquals(Map.of("a", 1000), draw(plan, 1000, 1));
  }

  @Test
  void losingLocalEndpointsSpillsInProportion() {
    // gateways assumed even over a and b; a keeps 1 of 4 healthy endpoints: 2500 of its 5000
    ZoneRouting plan = ZoneRouting.plan("a", null, Map.of("a", 1, "b", 3), 2);
    assertEquals(ZoneRouting.Mode.RESIDUAL, plan.mode());
    assertEquals(5000, plan.localPercentToRoute());
    assertEquals(List.of("b"), plan.zones());
    int n = 100_000;
    Map<String, Integer> counts = draw(plan, n, 7);
    assertShare(counts, "a", 0.5, n);
    assertShare(counts, "b", 0.5, n);

    ZoneRouting none = ZoneRouting.plan("a", null, Map.of("b", 3), 2);
    assertEquals(0, none.localPercentToRoute());
    assertEquals(Map.of("b", 1000), draw(none, 1000, 3), "no local endpoint: everything spills");
  }

  @Test
  void theLocalClustersSpreadDecidesHowMuchStaysLocal() {
    // three of four gateways in a: a's half of the endpoints can take two thirds of their traffic
    ZoneRouting plan = ZoneRouting.plan("a", Map.of("a", 3, "b", 1), Map.of("a", 3, "b", 3), 6);
    assertEquals(6666, plan.localPercentToRoute());
    int n = 100_000;
    assertShare(draw(plan, n, 11), "a", 0.6666, n);
  }

  @Test
  void zoneRoutingIsOffForSmallClustersOneZoneOfGatewaysOrNoLocalGateway() {
    assertEquals(ZoneRouting.OFF, ZoneRouting.plan("a", null, Map.of("a", 2, "b", 3), 6), "5 < min-cluster-size");
    assertEquals(ZoneRouting.OFF, ZoneRouting.plan("a", Map.of("a", 4), Map.of("a", 3, "b", 3), 6),
        "every gateway in one zone");
    assertEquals(ZoneRouting.OFF, ZoneRouting.plan("a", Map.of("b", 2, "c", 2), Map.of("a", 3, "b", 3), 6),
        "no gateway in the local zone");
    assertNull(ZoneRouting.OFF.choose(new Random(1)));
  }

  @Test
  void equalInputsGiveEqualPlans() {
    assertEquals(ZoneRouting.plan("a", null, Map.of("a", 1, "b", 3), 2),
        ZoneRouting.plan("a", null, Map.of("b", 3, "a", 1), 2));
  }
}
