package io.muster.gateway.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.pool.PoolSettings;
import io.muster.gateway.pool.ServicePool;
import java.util.List;
import java.util.Map;

/** Builders for registry instances and ready-made pools. */
public final class Instances {

  private Instances() {}

  public static Instance healthy(String service, String id, int port) {
    return Instance.newBuilder().setService(service).setId(id).setHost("127.0.0.1").setPort(port)
        .setWeight(100).setHealth(HealthStatus.HEALTHY).build();
  }

  public static Instance weighted(String service, String id, int port, int weight) {
    return healthy(service, id, port).toBuilder().setWeight(weight).build();
  }

  public static Instance withMetadata(String service, String id, int port, Map<String, String> metadata) {
    return healthy(service, id, port).toBuilder().putAllMetadata(metadata).build();
  }

  /** A pool of {@code service} with these instances, on a fake clock. */
  public static ServicePool pool(String service, List<Instance> instances) {
    FakeTicker ticker = new FakeTicker();
    ServicePool pool = new ServicePool(service, PoolSettings.DEFAULT, ticker, ticker, new SimpleMeterRegistry(),
        e -> { });
    pool.update(instances);
    return pool;
  }

  public static Endpoint byId(List<Endpoint> endpoints, String id) {
    return endpoints.stream().filter(e -> e.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no endpoint " + id + " in " + endpoints));
  }
}
