package io.muster.gateway.lb;

import java.util.Set;

/**
 * What one pick may depend on.
 *
 * @param hashKey affinity key for consistent hashing, or {@code null} when the request carries none
 * @param excluded targets that must not be chosen (already tried by this request); not copied, the
 *     caller must not mutate it during the pick
 */
public record PickContext(String hashKey, Set<?> excluded) {

  /** No affinity key and nothing excluded. */
  public static final PickContext NONE = new PickContext(null, Set.of());

  public PickContext {
    excluded = excluded == null ? Set.of() : excluded;
  }

  public static PickContext withHashKey(String hashKey) {
    return new PickContext(hashKey, Set.of());
  }

  /** True unless {@code target} is excluded. */
  public boolean allows(Object target) {
    return excluded.isEmpty() || !excluded.contains(target);
  }
}
