package io.muster.gateway.route;

import io.muster.api.v1.Instance;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Sends a share of a route's traffic to canary instances: those carrying all of {@code tags} and all
 * {@code metadata} entries (e.g. {@code version=canary}). The rest of the traffic goes to the others.
 * A request header overrides the draw: {@code 1}/{@code true} forces the canary, {@code 0}/{@code
 * false} the stable instances. When one side has no instance, all traffic goes to the other.
 *
 * @param tags tags a canary instance must carry
 * @param metadata metadata entries a canary instance must carry
 * @param percent share of requests sent to canaries, 0-100
 * @param header override header name, or {@code null} for none
 */
public record CanaryPolicy(Set<String> tags, Map<String, String> metadata, double percent, String header) {

  public CanaryPolicy {
    tags = tags == null ? Set.of() : Set.copyOf(tags);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    if (tags.isEmpty() && metadata.isEmpty()) {
      throw new IllegalArgumentException("canary: set tags or metadata to select canary instances");
    }
    if (!(percent >= 0 && percent <= 100)) {
      throw new IllegalArgumentException("canary.percent: " + percent + " (expected: 0-100)");
    }
    header = header == null || header.isBlank() ? null : header;
  }

  /** True for a canary instance. */
  public boolean matches(Instance instance) {
    if (!instance.getTagsList().containsAll(tags)) {
      return false;
    }
    Map<String, String> actual = instance.getMetadataMap();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (!e.getValue().equals(actual.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads the override header value.
   *
   * @return {@code TRUE} to force the canary, {@code FALSE} to force stable, {@code null} to draw
   */
  public Boolean override(String headerValue) {
    if (headerValue == null) {
      return null;
    }
    return switch (headerValue.trim().toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> Boolean.TRUE;
      case "0", "false", "no", "off" -> Boolean.FALSE;
      default -> null;
    };
  }
}
