package io.muster.server.watch;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.CatalogListener;
import io.muster.server.catalog.Namespaces;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves watches from this node's applied state.
 *
 * <p>The apply thread appends each event to the {@link EventHistory} and wakes the watchers whose
 * filter matches; it never waits for a watcher. Watchers drain on {@code executor}. A periodic tick
 * sends PROGRESS to idle watchers. A watcher whose stream names its event loop drains there (per
 * loop and event, one task per connection, each queued behind the previous connection's flush);
 * the others drain on {@code executor}. The tick runs only while there are watchers, so a member
 * nobody watches does not wake for it. Watchers with the same filter at the same position share one
 * EVENTS message instance ({@link EventBatches}), so an event is built once per filter, not once
 * per watcher.
 */
public final class WatchHub implements CatalogListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WatchHub.class);

    private final Catalog catalog;
    private final EventHistory history;
    private final EventBatches batches = new EventBatches(64);
    private final Executor executor;
    private final int fanOutTasks;
    private final LongSupplier nanoTime;
    private final String memberId;
    private final int maxWatchers;
    private final Set<Watcher> all = ConcurrentHashMap.newKeySet();
    private final Set<Watcher> everything = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<Watcher>> byService = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private final Object tickLock = new Object();
    private ScheduledFuture<?> ticker; // guarded by tickLock
    private boolean closed; // guarded by tickLock
    final LongAdder compactedWatchers = new LongAdder();
    private volatile LongSupplier leaderlessNanos = () -> 0;
    private volatile long maxLeaderlessNanos = Long.MAX_VALUE;
    /** Why watches that require a leader are refused and ended now, or null. */
    private volatile String leaderless;
    final LongAdder leaderlessEnded = new LongAdder();

    /**
     * @param executor where watchers drain
     * @param fanOutTasks how many tasks share the draining of the watchers an event wakes (the
     *        executor's thread count)
     */
    public WatchHub(Catalog catalog, int historySize, Executor executor, int fanOutTasks, ScheduledExecutorService scheduler,
                    LongSupplier nanoTime, String memberId, int maxWatchers) {
        if (fanOutTasks < 1) {
            throw new IllegalArgumentException("fanOutTasks: " + fanOutTasks + " (expected: >= 1)");
        }
        this.catalog = catalog;
        this.history = new EventHistory(historySize);
        this.executor = executor;
        this.fanOutTasks = fanOutTasks;
        this.nanoTime = nanoTime;
        this.memberId = memberId;
        this.maxWatchers = maxWatchers;
        this.scheduler = scheduler;
    }

    /**
     * Ticks while there are watchers, and not otherwise. Called after each change of {@code all}: the
     * call after the last change reads the final state, whatever order concurrent calls run in.
     */
    private void tickWhileWatched() {
        synchronized (tickLock) {
            boolean want = !closed && !all.isEmpty();
            if (want && ticker == null) {
                try {
                    ticker = scheduler.scheduleWithFixedDelay(this::tick, 100, 100, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    log.debug("no watch tick: the scheduler stopped (member shutting down)");
                }
            } else if (!want && ticker != null) {
                ticker.cancel(false);
                ticker = null;
            }
        }
    }

    /**
     * Watches that require a leader (not {@code allow_leaderless}) end with UNAVAILABLE, and new ones
     * are refused, while {@code leaderlessNanos} (how long this member has had no leader) exceeds
     * {@code maxLeaderlessNanos}: such a member serves a state that may have stopped moving, with
     * progress messages that look healthy. Checked on the hub's tick, never on the apply path.
     */
    public void requireLeader(LongSupplier leaderlessNanos, long maxLeaderlessNanos) {
        this.leaderlessNanos = leaderlessNanos;
        this.maxLeaderlessNanos = maxLeaderlessNanos;
    }

    /** Watch streams ended because this member had no leader. */
    public long leaderlessEndedCount() {
        return leaderlessEnded.sum();
    }

    public EventHistory history() {
        return history;
    }

    EventBatches batches() {
        return batches;
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
     * @throws IllegalStateException if the node already serves {@code maxWatchers} watchers, with the
     *         message {@code max-watchers: <count> (limit <n>)}
     */
    public Watcher open(String namespace, Set<String> services, long startRevision, long progressIntervalMs, WatchSink sink) {
        return open(namespace, services, startRevision, progressIntervalMs, false, sink);
    }

    /**
     * Opens a watcher that, if {@code requiresLeader}, ends when this member has had no leader for
     * too long ({@link #requireLeader}).
     *
     * @param namespace the namespace watched (a name), or {@link Namespaces#ALL} (then {@code services} is empty)
     * @param services  names in {@code namespace}; empty: every service of it
     * @throws LeaderlessException if it requires a leader and this member has had none for too long
     */
    public Watcher open(String namespace, Set<String> services, long startRevision, long progressIntervalMs, boolean requiresLeader,
                        WatchSink sink) {
        boolean everyNamespace = namespace.equals(Namespaces.ALL);
        if (everyNamespace && !services.isEmpty()) {
            throw new IllegalArgumentException("services: " + services + " (expected: none with namespace *)");
        }
        Set<String> keys = keys(namespace, services);
        if (requiresLeader) {
            // the live answer, not the tick's: a member that found its leader serves at once
            long without = leaderlessNanos.getAsLong();
            if (without > maxLeaderlessNanos) {
                throw new LeaderlessException(leaderlessReason(without));
            }
        }
        int open = all.size();
        if (open >= maxWatchers) {
            // the RESOURCE_EXHAUSTED a client gets: the limit's flag, the count with this watcher
            throw new IllegalStateException("max-watchers: " + (open + 1) + " (limit " + maxWatchers + ")");
        }
        Watcher w = new Watcher(ids.incrementAndGet(), everyNamespace ? null : namespace, Set.copyOf(services), keys, history, sink,
                executor, memberId,
                TimeUnit.MILLISECONDS.toNanos(progressIntervalMs), nanoTime.getAsLong(), this, requiresLeader);
        catalog.read(view -> {
            // under the read lock: no event can be appended between the snapshot and registration
            if (startRevision == 0) {
                List<Instance> snapshot = new ArrayList<>();
                if (everyNamespace) {
                    snapshot.addAll(view.allInstances());
                } else if (services.isEmpty()) {
                    snapshot.addAll(view.namespaceInstances(namespace));
                } else {
                    services.stream().sorted().forEach(s -> snapshot.addAll(view.instances(namespace, s)));
                }
                w.startWithSnapshot(snapshot, view.revision());
            } else {
                w.startAt(startRevision);
            }
            register(w, keys);
            return null;
        });
        if (requiresLeader) {
            // the check may have ended the others between the test above and the registration
            String why = leaderless;
            if (why != null && leaderlessNanos.getAsLong() > maxLeaderlessNanos) {
                w.endUnavailable(why);
            }
        }
        w.wake();
        return w;
    }

    /**
     * The index keys of a watch: {@code ns/service} for each service named, {@code ns/} for every
     * service of a namespace, none for every namespace. No name holds a {@code /}, so keys never collide.
     */
    static Set<String> keys(String namespace, Set<String> services) {
        if (namespace.equals(Namespaces.ALL)) {
            return Set.of();
        }
        if (services.isEmpty()) {
            return Set.of(namespace + '/');
        }
        Set<String> keys = new HashSet<>();
        services.forEach(s -> keys.add(namespace + '/' + s));
        return Set.copyOf(keys);
    }

    private void register(Watcher w, Set<String> keys) {
        all.add(w);
        tickWhileWatched();
        if (keys.isEmpty()) {
            everything.add(w);
        } else {
            for (String k : keys) {
                byService.computeIfAbsent(k, x -> ConcurrentHashMap.newKeySet()).add(w);
            }
        }
    }

    void remove(Watcher w) {
        all.remove(w);
        everything.remove(w);
        byService.values().forEach(set -> set.remove(w));
        tickWhileWatched();
    }

    @Override
    public void onEvents(List<Event> events) {
        for (Event e : events) {
            history.append(e);
        }
        List<Watcher> woken = new ArrayList<>(everything);
        if (byService.isEmpty()) {
            // only watches of every namespace: no key to build
        } else if (events.size() == 1) {
            Instance i = events.get(0).getInstance();
            wake(woken, i.getNamespace() + '/');
            wake(woken, i.getNamespace() + '/' + i.getService());
        } else {
            Set<String> keys = new HashSet<>();
            for (Event e : events) {
                Instance i = e.getInstance();
                String ns = i.getNamespace() + '/';
                if (keys.add(ns)) {
                    wake(woken, ns);
                }
                String key = ns + i.getService();
                if (keys.add(key)) {
                    wake(woken, key);
                }
            }
        }
        if (!woken.isEmpty()) {
            fanOut(woken.toArray(new Watcher[0]));
        }
    }

    private void wake(List<Watcher> woken, String key) {
        Set<Watcher> set = byService.get(key);
        if (set != null) {
            woken.addAll(set);
        }
    }

    /**
     * Drains {@code watchers} on {@code fanOutTasks} executor tasks that claim them one by one. One
     * executor hand-off per task instead of one per watcher: the apply thread stays cheap and the
     * draining threads do not park and unpark between watchers.
     */
    private void fanOut(Watcher[] all) {
        // watchers that drain on their stream's event loop: one task per loop drains them there,
        // so their messages reach the transport without a hand-off per message and are flushed
        // together; the others share the watch executor
        Map<Executor, Map<Object, List<Watcher>>> byLoop = null;
        int shared = 0;
        for (Watcher w : all) {
            if (w.executor() == executor) {
                all[shared++] = w;
            } else if (w.claimDrain()) {
                // a watcher whose drain is already pending is left out: that drain sees this event,
                // so a stalled loop holds at most one task entry per watcher
                if (byLoop == null) {
                    byLoop = new IdentityHashMap<>();
                }
                byLoop.computeIfAbsent(w.executor(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(w.connection(), k -> new ArrayList<>()).add(w);
            }
        }
        if (byLoop != null) {
            byLoop.forEach(this::drainOn);
        }
        if (shared > 0) {
            fanOutShared(shared == all.length ? all : Arrays.copyOf(all, shared));
        }
    }

    private void drainOn(Executor loop, Map<Object, List<Watcher>> byConnection) {
        drainOn(loop, List.copyOf(byConnection.values()), 0);
    }

    /**
     * Drains the watchers of connection {@code i} on {@code loop}, then queues connection
     * {@code i + 1}. The transport queued its flush of connection {@code i} on the loop when the
     * first message was written, so that flush runs before the next connection is served: each
     * connection's messages leave as soon as they are built, not after the loop's whole share of
     * the fan-out.
     */
    private void drainOn(Executor loop, List<List<Watcher>> connections, int i) {
        try {
            loop.execute(() -> {
                for (Watcher w : connections.get(i)) {
                    w.drainClaimed();
                }
                if (i + 1 < connections.size()) {
                    drainOn(loop, connections, i + 1);
                }
            });
        } catch (RuntimeException e) {
            // the loop is shutting down, and with it the streams of its connections; a claimed
            // watcher that never drains would never drain again, so close them all
            int n = 0;
            for (int c = i; c < connections.size(); c++) {
                n += connections.get(c).size();
                connections.get(c).forEach(Watcher::close);
            }
            log.debug("event loop rejected a fan-out task: closing {} watchers", n, e);
        }
    }

    private void fanOutShared(Watcher[] watchers) {
        AtomicInteger cursor = new AtomicInteger();
        Runnable task = () -> {
            for (int i = cursor.getAndIncrement(); i < watchers.length; i = cursor.getAndIncrement()) {
                watchers[i].drainHere();
            }
        };
        int tasks = Math.min(fanOutTasks, watchers.length);
        for (int t = 0; t < tasks; t++) {
            try {
                executor.execute(task);
            } catch (RuntimeException e) {
                // the tasks already queued still claim every watcher; with none queued, wake one by one
                log.warn("watch executor rejected a fan-out task ({} watchers)", watchers.length, e);
                if (t == 0) {
                    for (Watcher w : watchers) {
                        w.wake();
                    }
                }
                return;
            }
        }
    }

    @Override
    public void onReset(Collection<Instance> instances, long revision) {
        history.reset(revision);
        batches.clear();
        // watchers behind the new state learn it through a COMPACTED answer
        all.forEach(Watcher::wake);
    }

    /** On the tick: ends the watches that require a leader if this member has had none for too long. */
    void checkLeader() {
        long without = leaderlessNanos.getAsLong();
        if (without <= maxLeaderlessNanos) {
            leaderless = null;
            return;
        }
        String why = leaderlessReason(without);
        leaderless = why;
        for (Watcher w : all) {
            if (w.requiresLeader() && !w.isClosed()) {
                w.endUnavailable(why);
            }
        }
    }

    private String leaderlessReason(long withoutNanos) {
        return "member " + memberId + " has had no leader for " + TimeUnit.NANOSECONDS.toMillis(withoutNanos)
                + " ms (more than its election timeout, " + TimeUnit.NANOSECONDS.toMillis(maxLeaderlessNanos)
                + " ms): its state may be stale; resume on another member (or set allow_leaderless)";
    }

    private void tick() {
        checkLeader();
        long now = nanoTime.getAsLong();
        for (Watcher w : all) {
            if (w.wantsProgress(now)) {
                w.requestProgress();
            }
        }
    }

    @Override
    public void close() {
        synchronized (tickLock) {
            closed = true;
        }
        tickWhileWatched();
        for (Watcher w : List.copyOf(all)) {
            w.close();
        }
    }
}
