package io.muster.gateway.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.muster.api.v1.HealthStatus;
import io.muster.gateway.testing.FakeTicker;
import io.muster.gateway.testing.Instances;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@UnitTest
class DrainingEndpointFinishesInFlightTest {

  private final FakeTicker ticker = new FakeTicker();
  private final List<Endpoint> closed = new ArrayList<>();
  private final List<List<Endpoint>> published = new ArrayList<>();
  private final ServicePool pool = new ServicePool("svc", PoolSettings.DEFAULT, ticker, ticker,
      new SimpleMeterRegistry(), closed::add);

  @Test
  void aRemovedEndpointStopsTakingRequestsButClosesOnlyAfterItsLastOne() {
    pool.subscribe(published::add);
    pool.update(List.of(Instances.healthy("svc", "a", 9001), Instances.healthy("svc", "b", 9002)));
    Endpoint a = Instances.byId(pool.active(), "a");
    a.started();
    a.started();

    pool.update(List.of(Instances.healthy("svc", "b", 9002)));
    assertEquals(EndpointState.DRAINING, a.state());
    assertFalse(pool.active().contains(a));
    assertEquals(List.of("b"), published.get(published.size() - 1).stream().map(Endpoint::id).toList());
    assertTrue(closed.isEmpty());
    assertEquals("draining", pool.status().endpoints().stream().filter(e -> e.id().equals("a")).findFirst()
        .orElseThrow().state());

    a.finished(Outcome.SUCCESS, 1_000);
    assertTrue(closed.isEmpty(), "one request still in flight");
    a.finished(Outcome.SUCCESS, 1_000);
    assertEquals(List.of(a), closed);
    assertEquals(EndpointState.CLOSED, a.state());
    assertTrue(pool.status().endpoints().stream().noneMatch(e -> e.id().equals("a")));
  }

  @Test
  void anIdleEndpointClosesAtOnceWhenItBecomesUnhealthy() {
    pool.update(List.of(Instances.healthy("svc", "a", 9001)));
    Endpoint a = pool.active().get(0);
    pool.update(List.of(Instances.healthy("svc", "a", 9001).toBuilder().setHealth(HealthStatus.UNHEALTHY).build()));
    assertEquals(List.of(a), closed);
    assertTrue(pool.active().isEmpty());
  }

  @Test
  void anInstanceInMaintenanceDrainsWhateverItsHealthAndComesBackWhenItEnds() {
    pool.update(List.of(Instances.healthy("svc", "a", 9001), Instances.healthy("svc", "b", 9002)));
    Endpoint a = Instances.byId(pool.active(), "a");
    a.started();
    pool.update(List.of(Instances.healthy("svc", "a", 9001).toBuilder().setMaintenance(true).setMaintenanceReason("deploy").build(),
        Instances.healthy("svc", "b", 9002)));
    assertEquals(EndpointState.DRAINING, a.state());
    assertEquals(List.of("b"), pool.active().stream().map(Endpoint::id).toList());
    assertTrue(closed.isEmpty(), "its request in flight finishes");
    pool.update(List.of(Instances.healthy("svc", "a", 9001), Instances.healthy("svc", "b", 9002)));
    assertSame(a, Instances.byId(pool.active(), "a"));
    assertEquals(EndpointState.ACTIVE, a.state());
  }

  @Test
  void anEndpointThatComesBackWhileDrainingIsReusedWithItsConnections() {
    pool.update(List.of(Instances.healthy("svc", "a", 9001)));
    Endpoint a = pool.active().get(0);
    a.started();
    pool.update(List.of());
    assertEquals(EndpointState.DRAINING, a.state());
    pool.update(List.of(Instances.healthy("svc", "a", 9001).toBuilder().setHealth(HealthStatus.WARNING).build()));
    assertSame(a, pool.active().get(0));
    assertEquals(EndpointState.ACTIVE, a.state());
    a.finished(Outcome.SUCCESS, 1_000);
    assertTrue(closed.isEmpty());
  }

  @Test
  void aMovedInstanceIsANewEndpoint() {
    pool.update(List.of(Instances.healthy("svc", "a", 9001)));
    Endpoint before = pool.active().get(0);
    pool.update(List.of(Instances.healthy("svc", "a", 9009)));
    Endpoint after = pool.active().get(0);
    assertEquals(9009, after.address().getPort());
    assertEquals(List.of(before), closed);
  }

  @Test
  void aWeightUpdateKeepsTheEndpointObject() {
    pool.update(List.of(Instances.healthy("svc", "a", 9001)));
    Endpoint before = pool.active().get(0);
    pool.update(List.of(Instances.weighted("svc", "a", 9001, 7)));
    assertSame(before, pool.active().get(0));
    assertEquals(7, before.weight());
  }
}
