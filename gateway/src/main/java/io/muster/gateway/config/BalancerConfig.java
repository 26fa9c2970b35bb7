package io.muster.gateway.config;

/**
 * Settings of the load balancers.
 *
 * @param ewmaDecayMs time constant of the peak-EWMA latency average, default 10000
 */
public record BalancerConfig(Long ewmaDecayMs) {

  public static final BalancerConfig DEFAULT = new BalancerConfig(null);

  public BalancerConfig {
    ewmaDecayMs = Checks.positiveMillis(ewmaDecayMs, 10_000, "ewma-decay-ms");
  }
}
