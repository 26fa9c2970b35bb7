package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.checkArgument;

/**
 * The gateway-wide retry budget.
 *
 * @param ratio retries allowed per request, default 0.2
 * @param minPerSecond retries always allowed per second, default 10
 */
public record RetryBudgetConfig(Double ratio, Integer minPerSecond) {

  public static final RetryBudgetConfig DEFAULT = new RetryBudgetConfig(null, null);

  public RetryBudgetConfig {
    ratio = ratio == null ? 0.2 : ratio;
    checkArgument(ratio >= 0 && ratio <= 1, "ratio: %s (expected: 0-1)", ratio);
    minPerSecond = minPerSecond == null ? 10 : minPerSecond;
    checkArgument(minPerSecond >= 0, "min-per-second: %s (expected: >= 0)", minPerSecond);
  }
}
