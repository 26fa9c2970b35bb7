package io.muster.gateway.config;

import io.muster.gateway.route.CanaryPolicy;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Canary split of a route.
 *
 * @param tags instances carrying all these tags are canaries
 * @param metadata instances carrying all these metadata entries are canaries (e.g. {@code version: canary})
 * @param percent share of requests sent to canaries, 0-100, required
 * @param header request header that overrides the draw ({@code 1} canary, {@code 0} stable), optional
 */
public record CanaryConfig(List<String> tags, Map<String, String> metadata, Double percent, String header) {

  public CanaryConfig {
    tags = tags == null ? List.of() : List.copyOf(tags);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    Checks.required(percent, "percent");
    toPolicy(tags, metadata, percent, header); // validates
  }

  public CanaryPolicy toPolicy() {
    return toPolicy(tags, metadata, percent, header);
  }

  private static CanaryPolicy toPolicy(List<String> tags, Map<String, String> metadata, double percent, String header) {
    return new CanaryPolicy(Set.copyOf(tags), metadata, percent, header);
  }
}
