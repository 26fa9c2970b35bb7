package io.muster.gateway.pool;

import io.muster.api.v1.Instance;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the gateway learns the instances of a service: a static list today, the registry's watch
 * stream later (an adapter over the registry client's service view).
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@link #subscribe} delivers the current set at once (possibly empty, possibly on the calling
 *       thread), then the full current set after every change: never a delta;</li>
 *   <li>only routable instances (health {@code HEALTHY} or {@code WARNING}) are delivered; the pool
 *       filters again, so delivering more is harmless but wasteful;</li>
 *   <li>calls for one service are never concurrent and arrive in change order; the listener must not
 *       block (it rebuilds pickers and returns);</li>
 *   <li>the delivered list is not modified afterwards.</li>
 * </ul>
 *
 * <pre>{@code
 * source.subscribe("orders", instances -> pool.update(instances));
 * }</pre>
 */
public interface InstanceSource {

  /** Follows the routable instances of {@code service}. */
  void subscribe(String service, Consumer<List<Instance>> listener);

  /**
   * Whether every subscription has had its first answer from where the instances come from (the
   * gateway's readiness). A static list has it at once; the registry once it answered each watch.
   */
  default boolean answered() {
    return true;
  }

  /** Stops every subscription and releases resources; no listener is called afterwards. */
  void close();
}
