package io.muster.gateway.pool;

import io.muster.api.v1.Instance;
import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Instances from a Muster registry: one {@link ServiceView} (a resumable watch) per routed service.
 * Each change of the view delivers its routable instances; deliveries for one service are serialized
 * and never go back in revision.
 */
public final class RegistryInstanceSource implements InstanceSource {

  private final RegistryClient client;
  private final Map<String, ServiceView> views = new ConcurrentHashMap<>();
  private final List<Delivery> deliveries = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public RegistryInstanceSource(List<String> targets) {
    this(targets, Optional.empty());
  }

  /**
   * @param snapshotDir where each view keeps its failsafe copy: a gateway started while the
   *                    registry is unreachable routes to the last known instances until it answers
   */
  public RegistryInstanceSource(List<String> targets, Optional<Path> snapshotDir) {
    this(targets, snapshotDir, b -> b);
  }

  /**
   * @param connection sets up the client's connection to the members (TLS: the CA, the gateway's
   *                   client certificate), on the builder of {@code targets}
   */
  public RegistryInstanceSource(List<String> targets, Optional<Path> snapshotDir,
                                java.util.function.UnaryOperator<RegistryClient.Builder> connection) {
    RegistryClient.Builder b = RegistryClient.builder(targets);
    snapshotDir.ifPresent(b::snapshotDir);
    this.client = connection.apply(b).build();
  }

  @Override
  public void subscribe(String service, Consumer<List<Instance>> listener) {
    // "shop/orders": service orders of namespace shop; "orders": the client's namespace (default)
    ServiceView view = views.computeIfAbsent(service, s -> {
      int slash = s.indexOf('/');
      return slash < 0 ? client.serviceView(s) : client.serviceView(s.substring(0, slash), s.substring(slash + 1));
    });
    Delivery delivery = new Delivery(listener);
    deliveries.add(delivery);
    delivery.deliver(view.snapshot());
    view.addListener(s -> {
      // the view's first state before the registry answered is an empty revision 0, not an answer
      delivery.deliver(s);
      if (!s.stale()) {
        delivery.answered = true;
      }
    });
  }

  /** Serializes deliveries for one subscription and drops any older than the last one delivered. */
  private final class Delivery {
    private final Consumer<List<Instance>> listener;
    private long revision = -1;
    private boolean stale;
    volatile boolean answered;

    Delivery(Consumer<List<Instance>> listener) {
      this.listener = listener;
    }

    synchronized void deliver(ServiceView.Snapshot s) {
      // the first live state replaces a stale one whatever its revision (the cluster may have been rebuilt)
      if (closed || (s.revision() < revision && !(stale && !s.stale()))) {
        return;
      }
      revision = s.revision();
      stale = s.stale();
      listener.accept(s.routable());
    }
  }

  /** Every service's view has had a live answer from the registry (a failsafe copy is not one). */
  @Override
  public boolean answered() {
    return deliveries.stream().allMatch(d -> d.answered);
  }

  @Override
  public void close() {
    closed = true;
    views.values().forEach(ServiceView::close);
    client.close();
  }
}
