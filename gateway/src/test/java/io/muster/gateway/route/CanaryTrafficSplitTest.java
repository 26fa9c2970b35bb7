package io.muster.gateway.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.api.v1.Instance;
import io.muster.gateway.lb.PickContext;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.lb.Strategy;
import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.pool.ServicePool;
import io.muster.gateway.testing.Instances;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class CanaryTrafficSplitTest {

  private static Route route(double percent) {
    return new Route("r", null, "/", "svc", null, Strategy.ROUND_ROBIN, null, Duration.ofSeconds(1),
        Duration.ofSeconds(1), Duration.ofSeconds(1), 1,
        new CanaryPolicy(Set.of(), Map.of("version", "canary"), percent, "X-Canary"));
  }

  private static ServicePool pool() {
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      instances.add(Instances.healthy("svc", "stable-" + i, 9000 + i));
    }
    instances.add(Instances.withMetadata("svc", "canary-0", 9100, Map.of("version", "canary")));
    return Instances.pool("svc", instances);
  }

  private static boolean isCanary(Endpoint e) {
    return e.id().startsWith("canary");
  }

  @Test
  void tenPercentOfTenThousandPicksGoToTheCanary() {
    RouteBalancer balancer = new RouteBalancer(route(10), new PickerResources(() -> 0L, new Random(2024)));
    pool().subscribe(balancer);
    int canary = 0;
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      canary += isCanary(balancer.pick(PickContext.NONE, null)) ? 1 : 0;
    }
    assertEquals(1_000, canary, 150, "10% +- 1.5%");
  }

  @Test
  void theHeaderForcesEitherSide() {
    RouteBalancer balancer = new RouteBalancer(route(10), new PickerResources(() -> 0L, new Random(1)));
    pool().subscribe(balancer);
    CanaryPolicy policy = balancer.route().canary();
    for (int i = 0; i < 100; i++) {
      assertTrue(isCanary(balancer.pick(PickContext.NONE, policy.override("1"))));
      assertTrue(!isCanary(balancer.pick(PickContext.NONE, policy.override("false"))));
    }
    assertEquals(null, policy.override("maybe"));
  }

  @Test
  void withoutCanaryInstancesEverythingGoesToStableAndViceVersa() {
    RouteBalancer balancer = new RouteBalancer(route(100), new PickerResources(() -> 0L, new Random(1)));
    Instances.pool("svc", List.of(Instances.healthy("svc", "stable-0", 9000))).subscribe(balancer);
    assertEquals("stable-0", balancer.pick(PickContext.NONE, Boolean.TRUE).id());

    RouteBalancer onlyCanary = new RouteBalancer(route(0), new PickerResources(() -> 0L, new Random(1)));
    Instances.pool("svc", List.of(Instances.withMetadata("svc", "canary-0", 9100, Map.of("version", "canary"))))
        .subscribe(onlyCanary);
    assertEquals("canary-0", onlyCanary.pick(PickContext.NONE, Boolean.FALSE).id());
  }

  @Test
  void aRetryFallsOverToTheOtherSideWhenItsSideIsExhausted() {
    RouteBalancer balancer = new RouteBalancer(route(100), new PickerResources(() -> 0L, new Random(1)));
    ServicePool pool = pool();
    pool.subscribe(balancer);
    Endpoint canary = Instances.byId(pool.active(), "canary-0");
    Endpoint picked = balancer.pick(new PickContext(null, Set.of(canary)), null);
    assertTrue(picked.id().startsWith("stable"));
  }
}
