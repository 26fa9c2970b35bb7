package io.muster.gateway.lb;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The load-balancing algorithms. Each builds an immutable {@link Picker} over a set of targets.
 *
 * <pre>{@code
 * Picker<Backend> p = Strategy.parse("least-request").newPicker(backends, PickerResources.system());
 * }</pre>
 */
public enum Strategy {
  /** Each target in turn. */
  ROUND_ROBIN("round-robin"),
  /** nginx's smooth weighted round robin over {@link Target#weight()}. */
  WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
  /** Power of two choices on requests in flight. */
  LEAST_REQUEST("least-request"),
  /** Power of two choices on peak EWMA latency times load. */
  PEAK_EWMA("peak-ewma"),
  /** Ring hash on the request's affinity key (header or cookie). */
  CONSISTENT_HASH("consistent-hash");

  private final String configName;

  Strategy(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration files, e.g. {@code round-robin}. */
  public String configName() {
    return configName;
  }

  /** Builds a picker; the list is copied. */
  public <T extends Target> Picker<T> newPicker(List<T> targets, PickerResources resources) {
    return switch (this) {
      case ROUND_ROBIN -> new RoundRobinPicker<>(targets, resources);
      case WEIGHTED_ROUND_ROBIN -> new SmoothWeightedRoundRobinPicker<>(targets, resources);
      case LEAST_REQUEST -> new LeastRequestPicker<>(targets, resources);
      case PEAK_EWMA -> new PeakEwmaPicker<>(targets, resources);
      case CONSISTENT_HASH -> new ConsistentHashPicker<>(targets, resources);
    };
  }

  /**
   * Parses a configuration name.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Strategy parse(String name) {
    for (Strategy s : values()) {
      if (s.configName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown strategy '" + name + "' (expected one of: " + names() + ")");
  }

  public static String names() {
    return Arrays.stream(values()).map(Strategy::configName).collect(Collectors.joining(", "));
  }
}
