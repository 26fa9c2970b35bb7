package io.muster.gateway.lb;

import java.util.List;

/** Least request with power of two choices: the less loaded of two random targets. */
final class LeastRequestPicker<T extends Target> extends PowerOfTwoChoicesPicker<T> {

  LeastRequestPicker(List<T> targets, PickerResources resources) {
    super(targets, resources);
  }

  @Override
  double score(T target, long nowNanos) {
    return target.load().inflight();
  }
}
