package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.checkArgument;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A backend listed in the configuration instead of discovered.
 *
 * @param id instance id, default {@code host:port}
 * @param host address, required
 * @param port 1-65535, required
 * @param weight 1-10000, default 100
 * @param tags tags
 * @param metadata metadata (e.g. {@code version: canary})
 * @param zone zone
 * @param health {@code healthy} (default), {@code warning}, {@code pending} or {@code unhealthy}
 */
public record StaticInstanceConfig(String id, String host, Integer port, Integer weight, List<String> tags,
    Map<String, String> metadata, String zone, String health) {

  public StaticInstanceConfig {
    Checks.required(host, "host");
    Checks.required(port, "port");
    checkArgument(port >= 1 && port <= 65535, "port: %s (expected: 1-65535)", port);
    weight = weight == null ? 100 : weight;
    checkArgument(weight >= 1 && weight <= 10_000, "weight: %s (expected: 1-10000)", weight);
    id = id == null || id.isBlank() ? host + ":" + port : id;
    tags = tags == null ? List.of() : List.copyOf(tags);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    zone = zone == null ? "" : zone;
    health = health == null ? "healthy" : health.toLowerCase(Locale.ROOT);
    checkArgument(List.of("healthy", "warning", "pending", "unhealthy").contains(health),
        "health: '%s' (expected one of: healthy, warning, pending, unhealthy)", health);
  }

  public Instance toInstance(String service) {
    return Instance.newBuilder().setService(service).setId(id).setHost(host).setPort(port).setWeight(weight)
        .addAllTags(tags).putAllMetadata(metadata).setZone(zone)
        .setHealth(HealthStatus.valueOf(health.toUpperCase(Locale.ROOT))).build();
  }
}
