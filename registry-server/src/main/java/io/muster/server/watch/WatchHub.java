package io.muster.server.watch;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.CatalogListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Serves watches from this node's applied state.
 *
 * <p>The apply thread appends each event to the {@link EventHistory} and wakes the watchers whose
 * filter matches; it never waits for a watcher. Watchers drain on {@code executor}. A periodic tick
 * sends PROGRESS to idle watchers.
 */
public final class WatchHub implements CatalogListener, AutoCloseable {

    private final Catalog catalog;
    private final EventHistory history;
    private final Executor executor;
    private final LongSupplier nanoTime;
    private final String memberId;
    private final int maxWatchers;
    private final Set<Watcher> all = ConcurrentHashMap.newKeySet();
    private final Set<Watcher> everything = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<Watcher>> byService = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ScheduledFuture<?> ticker;
    final LongAdder compactedWatchers = new LongAdder();

    public WatchHub(Catalog catalog, int historySize, Executor executor, ScheduledExecutorService scheduler,
                    LongSupplier nanoTime, String memberId, int maxWatchers) {
        this.catalog = catalog;
        this.history = new EventHistory(historySize);
        this.executor = executor;
        this.nanoTime = nanoTime;
        this.memberId = memberId;
        this.maxWatchers = maxWatchers;
        this.ticker = scheduler.scheduleWithFixedDelay(this::tick, 100, 100, TimeUnit.MILLISECONDS);
    }

    public EventHistory history() {
        return history;
    }

    public int watcherCount() {
        return all.size();
    }

    public long compactedCount() {
        return compactedWatchers.sum();
    }

    long nanoTime() {
        return nanoTime.getAsLong();
    }

    /**
     * Opens a watcher. With {@code startRevision == 0} it first sends a snapshot of the matching
     * instances; otherwise it starts at {@code startRevision}.
     *
     * @throws IllegalStateException if the node already serves {@code maxWatchers} watchers
     */
    public Watcher open(Set<String> services, long startRevision, long progressIntervalMs, WatchSink sink) {
        if (all.size() >= maxWatchers) {
            throw new IllegalStateException("too many watchers on this node: " + all.size() + " (limit " + maxWatchers + ")");
        }
        Watcher w = new Watcher(ids.incrementAndGet(), Set.copyOf(services), history, sink, executor, memberId,
                TimeUnit.MILLISECONDS.toNanos(progressIntervalMs), nanoTime.getAsLong(), this);
        catalog.read(view -> {
            // under the read lock: no event can be appended between the snapshot and registration
            if (startRevision == 0) {
                List<Instance> snapshot = new ArrayList<>();
                if (services.isEmpty()) {
                    snapshot.addAll(view.allInstances());
                } else {
                    services.stream().sorted().forEach(s -> snapshot.addAll(view.instances(s)));
                }
                w.startWithSnapshot(snapshot, view.revision());
            } else {
                w.startAt(startRevision);
            }
            register(w, services);
            return null;
        });
        w.wake();
        return w;
    }

    private void register(Watcher w, Set<String> services) {
        all.add(w);
        if (services.isEmpty()) {
            everything.add(w);
        } else {
            for (String s : services) {
                byService.computeIfAbsent(s, k -> ConcurrentHashMap.newKeySet()).add(w);
            }
        }
    }

    void remove(Watcher w) {
        all.remove(w);
        everything.remove(w);
        byService.values().forEach(set -> set.remove(w));
    }

    @Override
    public void onEvents(List<Event> events) {
        for (Event e : events) {
            history.append(e);
        }
        for (Event e : events) {
            Set<Watcher> set = byService.get(e.getInstance().getService());
            if (set != null) {
                set.forEach(Watcher::wake);
            }
        }
        everything.forEach(Watcher::wake);
    }

    @Override
    public void onReset(Collection<Instance> instances, long revision) {
        history.reset(revision);
        // watchers behind the new state learn it through a COMPACTED answer
        all.forEach(Watcher::wake);
    }

    private void tick() {
        long now = nanoTime.getAsLong();
        for (Watcher w : all) {
            if (w.wantsProgress(now)) {
                w.requestProgress();
            }
        }
    }

    @Override
    public void close() {
        ticker.cancel(false);
        for (Watcher w : List.copyOf(all)) {
            w.close();
        }
    }
}
