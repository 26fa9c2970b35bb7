package io.muster.gateway.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.gateway.testing.Instances;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@UnitTest
class StaticInstanceSourceDeliversRoutableSetsTest {

  @Test
  void subscribersGetTheCurrentSetThenEveryChangeWithoutUnroutableInstances() {
    Instance a = Instances.healthy("svc", "a", 9001);
    Instance pending = Instances.healthy("svc", "p", 9002).toBuilder().setHealth(HealthStatus.PENDING).build();
    Instance unspecified = Instances.healthy("svc", "u", 9003).toBuilder()
        .setHealth(HealthStatus.HEALTH_STATUS_UNSPECIFIED).build();
    StaticInstanceSource source = new StaticInstanceSource(Map.of("svc", List.of(a, pending, unspecified)));
    List<List<String>> seen = new ArrayList<>();
    source.subscribe("svc", list -> seen.add(list.stream().map(Instance::getId).toList()));
    source.remove("svc", "a");
    source.put(Instances.healthy("svc", "b", 9004));
    source.close();
    source.put(Instances.healthy("svc", "c", 9005));
    assertEquals(List.of(List.of("a", "u"), List.of("u"), List.of("u", "b")), seen);
  }

  @Test
  void anInstanceOfAnotherServiceIsRejected() {
    StaticInstanceSource source = new StaticInstanceSource();
    assertThrows(IllegalArgumentException.class, () -> source.set("svc", List.of(Instances.healthy("other", "a", 1))));
  }
}
