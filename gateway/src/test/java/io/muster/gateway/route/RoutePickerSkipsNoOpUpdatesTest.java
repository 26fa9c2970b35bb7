package io.muster.gateway.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.lb.Strategy;
import io.muster.gateway.pool.ServicePool;
import io.muster.gateway.testing.FakeRandom;
import io.muster.gateway.testing.Instances;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@UnitTest
class RoutePickerSkipsNoOpUpdatesTest {

  private static RouteBalancer balancer(Strategy strategy) {
    Route route = new Route("r", null, "/", "svc", null, strategy, null, Duration.ofSeconds(1), Duration.ofSeconds(1),
        Duration.ofSeconds(1), 0, null);
    return new RouteBalancer(route, new PickerResources(() -> 0L, new FakeRandom()));
  }

  @Test
  void theSameInstancesAgainPublishNothingNew() {
    ServicePool pool = Instances.pool("svc", List.of(Instances.healthy("svc", "a", 9001),
        Instances.healthy("svc", "b", 9002)));
    RouteBalancer rr = balancer(Strategy.ROUND_ROBIN);
    pool.subscribe(rr);
    RoutePicker first = rr.picker();
    int published = rr.publishedPickers();

    pool.update(List.of(Instances.healthy("svc", "b", 9002), Instances.healthy("svc", "a", 9001)));
    assertSame(first, rr.picker());
    assertEquals(published, rr.publishedPickers());

    pool.update(List.of(Instances.healthy("svc", "a", 9001)));
    assertEquals(published + 1, rr.publishedPickers());
    assertEquals(1, rr.picker().size());
  }

  @Test
  void aWeightChangeRebuildsWeightedPickersOnly() {
    ServicePool pool = Instances.pool("svc", List.of(Instances.healthy("svc", "a", 9001),
        Instances.healthy("svc", "b", 9002)));
    RouteBalancer rr = balancer(Strategy.ROUND_ROBIN);
    RouteBalancer wrr = balancer(Strategy.WEIGHTED_ROUND_ROBIN);
    pool.subscribe(rr);
    pool.subscribe(wrr);
    int rrBefore = rr.publishedPickers();
    int wrrBefore = wrr.publishedPickers();

    pool.update(List.of(Instances.weighted("svc", "a", 9001, 300), Instances.healthy("svc", "b", 9002)));
    assertEquals(rrBefore, rr.publishedPickers());
    assertEquals(wrrBefore + 1, wrr.publishedPickers());
  }
}
