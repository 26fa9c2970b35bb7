package io.muster.server.api;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.CatalogListener;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Instances per service (in its namespace) and in total in the applied catalog, kept from its events, so the leader
 * can check {@code max-instances-per-service} and {@code max-instances} in O(1) before it proposes
 * a new instance. Written on the apply thread only; read anywhere (a read may see a count one
 * event old, which the check's documented overshoot already covers).
 */
final class CatalogSizes implements CatalogListener {

    private final Map<String, Integer> perService = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    int instances(String namespace, String service) {
        return perService.getOrDefault(namespace + '/' + service, 0);
    }

    private static String key(Instance i) {
        return i.getNamespace() + '/' + i.getService();
    }

    int instances() {
        return total.get();
    }

    @Override
    public void onEvents(List<Event> events) {
        for (Event e : events) {
            String service = key(e.getInstance());
            switch (e.getType()) {
                case REGISTERED -> {
                    perService.merge(service, 1, Integer::sum);
                    total.incrementAndGet();
                }
                case DEREGISTERED, EXPIRED -> {
                    perService.computeIfPresent(service, (k, n) -> n > 1 ? n - 1 : null);
                    total.decrementAndGet();
                }
                default -> {
                    // updates and health changes keep the count
                }
            }
        }
    }

    @Override
    public void onReset(Collection<Instance> instances, long revision) {
        Map<String, Integer> counts = new HashMap<>();
        for (Instance i : instances) {
            counts.merge(key(i), 1, Integer::sum);
        }
        perService.clear();
        perService.putAll(counts);
        total.set(instances.size());
    }
}
