package io.muster.gateway.lb;

import java.util.List;

/**
 * An immutable choice over a fixed set of targets, published anew on every change of that set.
 *
 * <p>Threading: {@link #pick} is called concurrently from any number of request threads and never
 * takes a lock (counters are atomics). Implementations implement {@code equals} over the targets and
 * the weights they captured, so a publisher can skip a rebuild that changes nothing.
 *
 * <pre>{@code
 * Picker<Backend> picker = Strategy.ROUND_ROBIN.newPicker(backends, PickerResources.system());
 * Backend b = picker.pick(PickContext.NONE);   // null: nothing to pick
 * }</pre>
 *
 * @param <T> the kind of target
 */
public interface Picker<T extends Target> {

  /**
   * Chooses a target.
   *
   * @return the chosen target, or {@code null} when there is none or every one is excluded
   */
  T pick(PickContext context);

  /** The targets this picker chooses from, in the order it was built with. */
  List<T> targets();
}
