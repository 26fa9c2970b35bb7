package io.muster.gateway.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings shared by every service pool.
 *
 * @param outlier ejection policy
 * @param ewmaDecay time constant of each endpoint's latency EWMA
 */
public record PoolSettings(OutlierPolicy outlier, Duration ewmaDecay) {

  public static final PoolSettings DEFAULT = new PoolSettings(OutlierPolicy.DEFAULT, Duration.ofSeconds(10));

  public PoolSettings {
    Objects.requireNonNull(outlier, "outlier");
    if (ewmaDecay.isNegative() || ewmaDecay.isZero()) {
      throw new IllegalArgumentException("ewmaDecay: " + ewmaDecay + " (expected: > 0)");
    }
  }
}
