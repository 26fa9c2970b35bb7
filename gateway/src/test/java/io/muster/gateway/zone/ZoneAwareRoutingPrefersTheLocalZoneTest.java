package io.muster.gateway.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real backends in two zones behind a gateway in zone {@code a}: the local zone takes everything
 * while it has its share of healthy instances, spills in proportion when some go unhealthy, and
 * everything goes to zone {@code b} when none is left; a route without zone awareness ignores zones.
 */
@ClusterTest
class ZoneAwareRoutingPrefersTheLocalZoneTest {

  private final List<TestBackend> a = new ArrayList<>();
  private final List<TestBackend> b = new ArrayList<>();
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    for (int i = 1; i <= 3; i++) {
      a.add(new TestBackend("a" + i));
      b.add(new TestBackend("b" + i));
    }
    gw = new GatewayFixture("""
        locality: {zone: a}
        routes:
          - prefix: /near/
            service: web
            zone-aware: {min-cluster-size: 2}
          - prefix: /any/
            service: web
        """);
  }

  @AfterEach
  void tearDown() {
    gw.close();
    a.forEach(TestBackend::close);
    b.forEach(TestBackend::close);
  }

  private void setHealth(Set<String> unhealthy) {
    List<Instance> all = new ArrayList<>();
    for (TestBackend t : a) {
      all.add(instance(t, "a", unhealthy));
    }
    for (TestBackend t : b) {
      all.add(instance(t, "b", unhealthy));
    }
    gw.source.set("web", all);
  }

  private static Instance instance(TestBackend t, String zone, Set<String> unhealthy) {
    return t.instance("web").toBuilder().setZone(zone)
        .setHealth(unhealthy.contains(t.name()) ? HealthStatus.UNHEALTHY : HealthStatus.HEALTHY).build();
  }

  /** Requests per zone (the first letter of the answering backend's name). */
  private Map<String, Integer> spread(String path, int requests) throws Exception {
    Map<String, Integer> zones = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      HttpResponse<String> r = gw.get(path);
      assertEquals(200, r.statusCode(), r.body());
      zones.merge(r.body().substring(0, 1), 1, Integer::sum);
    }
    return zones;
  }

  @Test
  void theLocalZoneTakesEverythingThenSpillsInProportionThenNothing() throws Exception {
    setHealth(Set.of());
    assertEquals(Map.of("a", 60), spread("/near/x", 60), "all healthy: zone a only");
    Map<String, Integer> anyZone = spread("/any/x", 60);
    assertEquals(30, anyZone.get("a"), "round robin over both zones: " + anyZone);

    // a keeps 1 of 4 healthy endpoints, half its share: about half the requests stay in a
    setHealth(Set.of("a1", "a2"));
    Map<String, Integer> spill = spread("/near/x", 400);
    int local = spill.getOrDefault("a", 0);
    assertTrue(local >= 140 && local <= 260, "about half local (expected 200 +- 60): " + spill);

    setHealth(Set.of("a1", "a2", "a3"));
    assertEquals(Map.of("b", 60), spread("/near/x", 60), "no healthy local instance: zone b only");

    setHealth(Set.of());
    assertEquals(Map.of("a", 30), spread("/near/x", 30), "back to the local zone once it recovers");
  }
}
