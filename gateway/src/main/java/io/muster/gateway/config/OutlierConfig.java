package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.checkArgument;
import static io.muster.gateway.config.Checks.positiveMillis;

import io.muster.gateway.pool.OutlierPolicy;
import java.time.Duration;

/**
 * Outlier detection.
 *
 * @param consecutiveFailures failures in a row that eject an endpoint, default 5, 0 disables
 * @param baseEjectionMs first ejection length, default 30000, doubled for each repeated ejection
 * @param maxEjectionMs cap of an ejection, default 300000
 * @param maxEjectionPercent most of a pool ejected at once (at least one endpoint), default 50
 */
public record OutlierConfig(Integer consecutiveFailures, Long baseEjectionMs, Long maxEjectionMs,
    Integer maxEjectionPercent) {

  public static final OutlierConfig DEFAULT = new OutlierConfig(null, null, null, null);

  public OutlierConfig {
    consecutiveFailures = consecutiveFailures == null ? 5 : consecutiveFailures;
    checkArgument(consecutiveFailures >= 0, "consecutive-failures: %s (expected: >= 0)", consecutiveFailures);
    baseEjectionMs = positiveMillis(baseEjectionMs, 30_000, "base-ejection-ms");
    maxEjectionMs = positiveMillis(maxEjectionMs, Math.max(300_000, baseEjectionMs), "max-ejection-ms");
    checkArgument(maxEjectionMs >= baseEjectionMs, "max-ejection-ms: %s (expected: >= base-ejection-ms %s)",
        maxEjectionMs, baseEjectionMs);
    maxEjectionPercent = maxEjectionPercent == null ? 50 : maxEjectionPercent;
    checkArgument(maxEjectionPercent >= 0 && maxEjectionPercent <= 100, "max-ejection-percent: %s (expected: 0-100)",
        maxEjectionPercent);
  }

  public OutlierPolicy toPolicy() {
    return new OutlierPolicy(consecutiveFailures, Duration.ofMillis(baseEjectionMs), Duration.ofMillis(maxEjectionMs),
        maxEjectionPercent);
  }
}
