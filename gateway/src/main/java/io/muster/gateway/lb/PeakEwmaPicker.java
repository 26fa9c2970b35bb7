package io.muster.gateway.lb;

import java.util.List;

/**
 * Latency-aware balancing (Finagle / Linkerd peak EWMA): of two random targets, the one with the lower
 * {@code ewma * (inflight + 1)}. See {@link LoadStats#cost(long)}.
 */
final class PeakEwmaPicker<T extends Target> extends PowerOfTwoChoicesPicker<T> {

  PeakEwmaPicker(List<T> targets, PickerResources resources) {
    super(targets, resources);
  }

  @Override
  double score(T target, long nowNanos) {
    return target.load().cost(nowNanos);
  }
}
