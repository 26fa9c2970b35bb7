package io.muster.gateway.pool;

import io.muster.api.Routing;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An {@link InstanceSource} whose instances are set by hand: from configuration ({@code
 * static-instances}) or from tests.
 *
 * <p>An instance without a health status ({@code HEALTH_STATUS_UNSPECIFIED}) counts as {@code
 * HEALTHY}: a statically listed backend has no checks. Listeners are called synchronously, under this
 * source's lock, by the thread that changed the set.
 *
 * <pre>{@code
 * StaticInstanceSource source = new StaticInstanceSource();
 * source.set("orders", List.of(instance("orders", "a", "127.0.0.1", 9001)));
 * }</pre>
 */
public final class StaticInstanceSource implements InstanceSource {

  private final Map<String, List<Instance>> instances = new HashMap<>();
  private final Map<String, List<Consumer<List<Instance>>>> listeners = new HashMap<>();
  private boolean closed;

  public StaticInstanceSource() {}

  public StaticInstanceSource(Map<String, List<Instance>> initial) {
    initial.forEach((service, list) -> instances.put(service, normalize(service, list)));
  }

  @Override
  public synchronized void subscribe(String service, Consumer<List<Instance>> listener) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(listener, "listener");
    if (closed) {
      throw new IllegalStateException("closed");
    }
    listeners.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>()).add(listener);
    listener.accept(routable(service));
  }

  /** Replaces the instances of {@code service} and notifies its listeners. */
  public synchronized void set(String service, List<Instance> list) {
    instances.put(service, normalize(service, list));
    notifyListeners(service);
  }

  /** Adds or replaces (same id) one instance. */
  public synchronized void put(Instance instance) {
    List<Instance> list = new ArrayList<>(instances.getOrDefault(instance.getService(), List.of()));
    list.removeIf(i -> i.getId().equals(instance.getId()));
    list.add(instance);
    set(instance.getService(), list);
  }

  /** Removes one instance; unknown ids are ignored. */
  public synchronized void remove(String service, String id) {
    List<Instance> list = new ArrayList<>(instances.getOrDefault(service, List.of()));
    if (list.removeIf(i -> i.getId().equals(id))) {
      set(service, list);
    }
  }

  /** Everything currently set for {@code service}, routable or not. */
  public synchronized List<Instance> get(String service) {
    return instances.getOrDefault(service, List.of());
  }

  @Override
  public synchronized void close() {
    closed = true;
    listeners.clear();
  }

  private void notifyListeners(String service) {
    if (closed) {
      return;
    }
    List<Instance> snapshot = routable(service);
    for (Consumer<List<Instance>> l : listeners.getOrDefault(service, List.of())) {
      l.accept(snapshot);
    }
  }

  private List<Instance> routable(String service) {
    return instances.getOrDefault(service, List.of()).stream().filter(Routing::isRoutable).toList();
  }

  private static List<Instance> normalize(String service, List<Instance> list) {
    List<Instance> out = new ArrayList<>(list.size());
    for (Instance i : list) {
      if (!i.getService().equals(service)) {
        throw new IllegalArgumentException("instance " + i.getId() + " has service '" + i.getService()
            + "' (expected: '" + service + "')");
      }
      out.add(i.getHealth() == HealthStatus.HEALTH_STATUS_UNSPECIFIED
          ? i.toBuilder().setHealth(HealthStatus.HEALTHY).build() : i);
    }
    return List.copyOf(out);
  }
}
