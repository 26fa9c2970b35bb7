package io.muster.gateway.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.api.v1.Instance;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.Instances;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code locality.local-cluster}, the gateway fleet's own spread decides the local share: three
 * of four gateways in zone a and half of the backends there keep two thirds of the requests local;
 * when the fleet becomes even, everything stays local.
 */
@ClusterTest
class ZoneAwareRoutingFollowsTheGatewayFleetTest {

  private final List<TestBackend> backends = new ArrayList<>();
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    List<Instance> web = new ArrayList<>();
    for (String name : List.of("a1", "a2", "a3", "b1", "b2", "b3")) {
      TestBackend t = new TestBackend(name);
      backends.add(t);
      web.add(t.instance("web").toBuilder().setZone(name.substring(0, 1)).build());
    }
    gw = new GatewayFixture("""
        locality: {zone: a, local-cluster: gateways}
        routes:
          - service: web
            zone-aware: {}
        """);
    fleet(3, 1);
    gw.source.set("web", web);
  }

  private void fleet(int inA, int inB) {
    List<Instance> gateways = new ArrayList<>();
    for (int i = 0; i < inA + inB; i++) {
      gateways.add(Instances.healthy("gateways", "gw" + i, 10_000 + i).toBuilder().setZone(i < inA ? "a" : "b")
          .build());
    }
    gw.source.set("gateways", gateways);
  }

  @AfterEach
  void tearDown() {
    gw.close();
    backends.forEach(TestBackend::close);
  }

  private int local(int requests) throws Exception {
    Map<String, Integer> zones = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      zones.merge(gw.get("/x").body().substring(0, 1), 1, Integer::sum);
    }
    return zones.getOrDefault("a", 0);
  }

  @Test
  void theFleetsSpreadSetsTheLocalShare() throws Exception {
    int local = local(300);
    assertTrue(local >= 155 && local <= 245, "about two thirds local (expected 200 +- 45): " + local);

    fleet(2, 2);
    assertEquals(60, local(60), "an even fleet: the local half of the backends takes all local traffic");
  }
}
