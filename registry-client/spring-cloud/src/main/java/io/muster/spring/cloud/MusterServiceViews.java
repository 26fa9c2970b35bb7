package io.muster.spring.cloud;

import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * One watch-fed {@link ServiceView} per service asked for, shared by the discovery clients and the
 * load balancers of the application: a lookup reads the latest state (lock-free) and never calls the
 * registry; the first lookup of a service opens its watch. Service ids are taken in lower case (a
 * URI's host is case-insensitive; registry service names are lower case). Closing it closes the views.
 */
public final class MusterServiceViews implements AutoCloseable {

    private final RegistryClient client;
    private final Duration firstStateTimeout;
    private final Map<String, ServiceView> views = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param firstStateTimeout how long a blocking lookup waits for a service's first state (its
     *                          watch's snapshot) before it answers with no instances
     */
    public MusterServiceViews(RegistryClient client, Duration firstStateTimeout) {
        this.client = client;
        this.firstStateTimeout = firstStateTimeout;
    }

    /** The view of {@code serviceId} (lower-cased), opened on first use. */
    public ServiceView view(String serviceId) {
        if (closed) {
            throw new IllegalStateException("muster service views are closed");
        }
        return views.computeIfAbsent(normalize(serviceId), client::serviceView);
    }

    public Duration firstStateTimeout() {
        return firstStateTimeout;
    }

    static String normalize(String serviceId) {
        return serviceId.toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        closed = true;
        views.values().forEach(ServiceView::close);
        views.clear();
    }

    /**
     * A function of a view's latest snapshot, computed once per snapshot: readers compare the
     * snapshot they see with the one the cached answer was computed from (lock-free; a race computes
     * the same answer twice, harmlessly).
     */
    static final class PerSnapshot<T> {
        private record Memo<T>(ServiceView.Snapshot snapshot, T value) {
        }

        private final Function<ServiceView.Snapshot, T> compute;
        private final AtomicReference<Memo<T>> memo = new AtomicReference<>();

        PerSnapshot(Function<ServiceView.Snapshot, T> compute) {
            this.compute = compute;
        }

        T of(ServiceView.Snapshot snapshot) {
            Memo<T> m = memo.get();
            if (m != null && m.snapshot() == snapshot) {
                return m.value();
            }
            T value = compute.apply(snapshot);
            memo.set(new Memo<>(snapshot, value));
            return value;
        }
    }

    /** Routable instances of a snapshot as Spring Cloud instances (no zone preference, no weighting). */
    static List<org.springframework.cloud.client.ServiceInstance> routableInstances(ServiceView.Snapshot s) {
        return InstanceSelection.routable(s.instances(), null).stream()
                .<org.springframework.cloud.client.ServiceInstance>map(MusterServiceInstance::new).toList();
    }
}
