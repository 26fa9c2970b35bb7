package io.muster.client;

import io.muster.api.v1.Event;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The live set of instances of one service, kept current by a watch. Reads are lock-free: each
 * change publishes a new immutable {@link Snapshot}.
 *
 * <pre>{@code
 * ServiceView orders = client.serviceView("orders");
 * orders.ready().join();
 * orders.addListener(s -> pool.update(s.routable()));
 * }</pre>
 */
public final class ServiceView implements AutoCloseable {

    /** An immutable state of the service at {@code revision}. */
    public record Snapshot(String service, long revision, List<Instance> instances) {
        public Snapshot {
            instances = List.copyOf(instances);
        }

        /** Instances that take traffic: HEALTHY or WARNING. */
        public List<Instance> routable() {
            return instances.stream().filter(i -> isRoutable(i.getHealth())).toList();
        }
    }

    static boolean isRoutable(HealthStatus h) {
        return h == HealthStatus.HEALTHY || h == HealthStatus.WARNING;
    }

    private final String service;
    private final Map<String, Instance> byId = new LinkedHashMap<>();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Snapshot> ready = new CompletableFuture<>();
    private final Watch watch;
    private volatile Snapshot current;

    ServiceView(RegistryClient client, String service) {
        this.service = service;
        this.current = new Snapshot(service, 0, List.of());
        this.watch = client.watch(Set.of(service), 0, new WatchListener() {
            @Override
            public void onSnapshot(List<Instance> instances, long revision) {
                byId.clear();
                instances.forEach(i -> byId.put(i.getId(), i));
                publish(revision);
            }

            @Override
            public void onEvents(List<Event> events) {
                for (Event e : events) {
                    Instance i = e.getInstance();
                    switch (e.getType()) {
                        case REGISTERED, UPDATED, HEALTH_CHANGED -> byId.put(i.getId(), i);
                        case DEREGISTERED, EXPIRED -> byId.remove(i.getId());
                        default -> {
                        }
                    }
                }
                publish(events.get(events.size() - 1).getRevision());
            }
        });
    }

    private void publish(long revision) {
        Snapshot s = new Snapshot(service, revision, Collections.unmodifiableList(new ArrayList<>(byId.values())));
        current = s;
        ready.complete(s);
        for (Consumer<Snapshot> l : listeners) {
            l.accept(s);
        }
    }

    public String service() {
        return service;
    }

    /** The latest state (empty until the first snapshot arrived; see {@link #ready()}). */
    public Snapshot snapshot() {
        return current;
    }

    public List<Instance> instances() {
        return current.instances();
    }

    public List<Instance> routable() {
        return current.routable();
    }

    /** Completes with the first full state. */
    public CompletableFuture<Snapshot> ready() {
        return ready;
    }

    /** Called with every new state (on the watch's thread; keep it quick). Also called now if ready. */
    public void addListener(Consumer<Snapshot> listener) {
        listeners.add(listener);
        if (ready.isDone()) {
            listener.accept(current);
        }
    }

    public void removeListener(Consumer<Snapshot> listener) {
        listeners.remove(listener);
    }

    @Override
    public void close() {
        watch.close();
    }
}
