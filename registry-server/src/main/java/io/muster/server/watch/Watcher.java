package io.muster.server.watch;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.WatchResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch stream. It owns no queue: it reads from the shared {@link EventHistory} from its own
 * position, so the apply path only appends and wakes. A watcher whose transport is not ready simply
 * stops draining; when it resumes it catches up from history, or, if it fell behind the history,
 * gets a COMPACTED answer.
 *
 * <p>Threading: {@link #wake()} may be called from any thread; draining is serialized with a
 * work-in-progress counter, so the sink sees one thread at a time. It drains on the sink's own
 * executor (the stream's event loop) when the sink names one, else on the hub's watch executor.
 */
public final class Watcher {

    private static final Logger log = LoggerFactory.getLogger(Watcher.class);
    static final int MAX_EVENTS_PER_MESSAGE = 256;
    static final int SNAPSHOT_CHUNK = 500;

    private final long id;
    /** The namespace watched, or null: every namespace. */
    private final String namespace;
    /** Service names in {@link #namespace}; empty: every service. */
    private final Set<String> services;
    /** The filter as the hub indexes it ({@link WatchHub#keys}): what watchers sharing event messages compare. */
    private final Set<String> keys;
    private final EventHistory history;
    private final WatchSink sink;
    private final Executor executor;
    private final Object connection;
    private final String memberId;
    private final long progressIntervalNanos;
    private final AtomicInteger wip = new AtomicInteger();
    private final WatchHub hub;
    private final EventBatches batches;
    private final int servicesHash;
    private final Runnable drainTask = this::drainLoop;
    private final boolean requiresLeader;
    /** Why the stream must end with UNAVAILABLE (this member lost its leader), or null. */
    private volatile String unavailable;
    /** Whether {@link #unavailable} is a refusal ({@link #endDenied}); written before it. */
    private volatile boolean denied;

    // touched only inside drain (serialized)
    private long next;
    private volatile long lastSentNanos;
    private List<Instance> pendingSnapshot;
    private long snapshotRevision;
    private volatile boolean progressDue;
    private volatile boolean closed;

    Watcher(long id, String namespace, Set<String> services, Set<String> keys, EventHistory history, WatchSink sink, Executor executor,
            String memberId, long progressIntervalNanos, long nowNanos, WatchHub hub, boolean requiresLeader) {
        this.namespace = namespace;
        this.keys = keys;
        this.requiresLeader = requiresLeader;
        this.id = id;
        this.services = services;
        this.history = history;
        this.sink = sink;
        this.executor = sink.executor() != null ? sink.executor() : executor;
        this.connection = sink.connection();
        this.memberId = memberId;
        this.progressIntervalNanos = progressIntervalNanos;
        this.lastSentNanos = nowNanos;
        this.hub = hub;
        this.batches = hub.batches();
        this.servicesHash = keys.hashCode();
    }

    public long id() {
        return id;
    }

    /** Where this watcher drains: its transport's event loop, or the hub's watch executor. */
    Executor executor() {
        return executor;
    }

    /** The sink's transport connection, or null ({@link WatchSink#connection()}). */
    Object connection() {
        return connection;
    }

    /** Starts after a snapshot taken at {@code revision}. Called before the watcher is woken. */
    void startWithSnapshot(List<Instance> instances, long revision) {
        this.pendingSnapshot = instances;
        this.snapshotRevision = revision;
        this.next = revision + 1;
    }

    void startAt(long startRevision) {
        this.next = startRevision;
    }

    boolean matches(Instance instance) {
        return (namespace == null || namespace.equals(instance.getNamespace()))
                && (services.isEmpty() || services.contains(instance.getService()));
    }

    /** Whether the stream must end when this member has had no leader for too long (not {@code allow_leaderless}). */
    boolean requiresLeader() {
        return requiresLeader;
    }

    /** Ends the stream with UNAVAILABLE on its next drain (serialized with its messages). Never blocks. */
    void endUnavailable(String description) {
        end(description, false);
    }

    /**
     * Ends the stream with PERMISSION_DENIED ({@link WatchSink#denied}) on its next drain, serialized
     * with its messages: its token was revoked. Never blocks; any thread (the apply thread).
     */
    public void endDenied(String description) {
        end(description, true);
    }

    private void end(String description, boolean deny) {
        if (unavailable == null && !closed) {
            denied = deny;
            unavailable = description;
            wake();
        }
    }

    boolean wantsProgress(long nowNanos) {
        return nowNanos - lastSentNanos >= progressIntervalNanos;
    }

    void requestProgress() {
        progressDue = true;
        wake();
    }

    /** Schedules a drain. Never blocks. */
    public void wake() {
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(drainTask);
            } catch (RuntimeException e) {
                wip.set(0);
                log.warn("watch executor rejected watcher {}: closing it", id, e);
                close();
            }
        }
    }

    /**
     * Drains on the calling thread (an executor thread of the hub's fan-out), unless a drain is
     * already running elsewhere, in which case that drain picks the new events up. Never blocks.
     */
    void drainHere() {
        if (wip.getAndIncrement() == 0) {
            drainLoop();
        }
    }

    /**
     * Claims the next drain for the caller, who must then call {@link #drainClaimed()} (on this
     * watcher's executor). False when a drain is already pending or running: it will see the new
     * events, so nothing more is needed. Never blocks.
     */
    boolean claimDrain() {
        return wip.getAndIncrement() == 0;
    }

    /** Drains after a successful {@link #claimDrain()}. */
    void drainClaimed() {
        drainLoop();
    }

    public void close() {
        if (!closed) {
            closed = true;
            hub.remove(this);
        }
    }

    boolean isClosed() {
        return closed;
    }

    private void drainLoop() {
        int missed = 1;
        do {
            try {
                drain();
            } catch (RuntimeException e) {
                log.warn("watcher {} failed: closing it", id, e);
                close();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drain() {
        if (closed) {
            return;
        }
        String why = unavailable;
        if (why != null) {
            if (denied) {
                sink.denied(why);
            } else {
                hub.leaderlessEnded.increment();
                sink.unavailable(why);
            }
            close();
            return;
        }
        if (pendingSnapshot != null) {
            sendSnapshot();
        }
        while (!closed && sink.isReady()) {
            long latest = history.lastRevision();
            if (next > latest) {
                if (progressDue) {
                    progressDue = false;
                    send(WatchResponse.newBuilder().setKind(WatchResponse.Kind.PROGRESS).setRevision(next - 1).build());
                }
                return;
            }
            long oldest = history.oldestAvailable();
            if (next < oldest) {
                compacted(oldest);
                return;
            }
            EventBatches.Batch batch = batches.get(keys, servicesHash, next, latest);
            if (batch == null) {
                batch = buildBatch(latest);
                if (batch == null) {
                    compacted(history.oldestAvailable());
                    return;
                }
                batches.put(batch, servicesHash);
            }
            next = batch.next();
            if (batch.response() != null) {
                send(batch.response());
            }
        }
    }

    /** The events after {@code next} up to {@code latest} that match, or null if part of the range is gone. */
    private EventBatches.Batch buildBatch(long latest) {
        WatchResponse.Builder response = null;
        int count = 0;
        long rev = next;
        for (; rev <= latest && count < MAX_EVENTS_PER_MESSAGE; rev++) {
            Event e = history.get(rev);
            if (e == null) {
                return null;
            }
            if (matches(e.getInstance())) {
                if (response == null) {
                    response = WatchResponse.newBuilder().setKind(WatchResponse.Kind.EVENTS);
                }
                response.addEvents(e);
                count++;
            }
        }
        return new EventBatches.Batch(keys, next, latest,
                response == null ? null : response.setRevision(rev - 1).build(), rev);
    }

    private void sendSnapshot() {
        List<Instance> all = pendingSnapshot;
        pendingSnapshot = null;
        int n = all.size();
        int from = 0;
        do {
            int to = Math.min(n, from + SNAPSHOT_CHUNK);
            send(WatchResponse.newBuilder()
                    .setKind(WatchResponse.Kind.SNAPSHOT)
                    .setRevision(snapshotRevision)
                    .addAllInstances(all.subList(from, to))
                    .setSnapshotComplete(to == n)
                    .setMemberId(memberId)
                    .build());
            from = to;
        } while (from < n);
    }

    private void compacted(long oldest) {
        send(WatchResponse.newBuilder()
                .setKind(WatchResponse.Kind.COMPACTED)
                .setRevision(history.lastRevision())
                .setCompactRevision(oldest)
                .setMemberId(memberId)
                .build());
        hub.compactedWatchers.increment();
        sink.complete();
        close();
    }

    private void send(WatchResponse response) {
        sink.send(response);
        lastSentNanos = hub.nanoTime();
    }
}
