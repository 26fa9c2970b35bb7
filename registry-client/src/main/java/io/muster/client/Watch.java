package io.muster.client;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A resumable watch stream. It remembers the last revision it delivered; when the stream ends for
 * a retryable reason it reconnects (to the next member after an error, after a growing, capped
 * backoff) with {@code start_revision = last + 1}, so the listener sees no gap and no duplicate. A
 * COMPACTED answer restarts from a snapshot. A status no retry can fix ends the watch and reaches
 * {@link WatchListener#onError}.
 *
 * <pre>{@code
 * try (Watch w = client.watch(Set.of("orders"), 0, new WatchListener() {
 *     public void onSnapshot(List<Instance> all, long revision) { cache.replace(all); }
 *     public void onEvents(List<Event> events) { cache.apply(events); }
 *     public void onError(Status status) { log.error("watch ended: {}", status); }
 * })) { ... }
 * }</pre>
 *
 * <p>Threading (in the spirit of gRPC's {@code SynchronizationContext}): the state changes under
 * {@code lock}, which queues the resulting callbacks; they run after the lock is released, one at a
 * time, on a sequential executor over the client's callback executor. The stream's transport thread
 * never runs a listener, so a listener that blocks holds back only its own watch's deliveries. The
 * stream starts from {@link Context#ROOT}: a watch opened inside a server call outlives that call
 * and only {@link #close()} cancels it.
 */
public final class Watch implements AutoCloseable {

    private static final System.Logger log = System.getLogger(Watch.class.getName());
    static final int PROGRESS_INTERVAL_MS = 2000;
    /**
     * The stream's deadline, renewed by every message: the server sends PROGRESS every interval on
     * an idle stream, so three intervals of silence mean a member that is stuck or unreachable
     * without the connection having failed (yet). The stream is then abandoned and resumed elsewhere.
     */
    static final long IDLE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(3L * PROGRESS_INTERVAL_MS);

    private final RegistryClient client;
    private final String namespace;
    private final Set<String> services;
    private final WatchListener listener;
    private final Object lock = new Object();
    /** Callbacks decided under the lock, in order; run after it. */
    private final CallbackQueue callbacks;
    private long lastRevision;
    private boolean needSnapshot;
    private int attempt;
    private boolean closed;
    private Observer current;
    private Context.CancellableContext context;
    private List<Instance> snapshotParts;
    private long lastMessageNanos;
    private java.util.concurrent.ScheduledFuture<?> idleCheck;

    Watch(RegistryClient client, String namespace, Set<String> services, long startRevision, WatchListener listener) {
        if (startRevision < 0) {
            throw new IllegalArgumentException("startRevision: " + startRevision + " (expected: >= 0)");
        }
        this.client = client;
        this.namespace = java.util.Objects.requireNonNull(namespace, "namespace");
        this.services = Set.copyOf(services);
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
        this.callbacks = new CallbackQueue(client.callbackExecutor(), "watch of " + namespace + "/" + services);
        this.needSnapshot = startRevision == 0;
        this.lastRevision = startRevision == 0 ? 0 : startRevision - 1;
        connect(client.endpoints().currentIndex());
    }

    /** Revision of the last event, snapshot or progress delivered. */
    public long lastRevision() {
        synchronized (lock) {
            return lastRevision;
        }
    }

    /** False once closed or ended by a non-retryable status. */
    public boolean isActive() {
        synchronized (lock) {
            return !closed;
        }
    }

    private void connect(int index) {
        WatchRequest.Builder req = WatchRequest.newBuilder().setNamespace(namespace).addAllServices(services)
                .setProgressIntervalMs(PROGRESS_INTERVAL_MS);
        Observer observer = new Observer(index);
        Context.CancellableContext ctx;
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (!needSnapshot) {
                req.setStartRevision(lastRevision + 1);
            }
            snapshotParts = null;
            if (context != null) {
                context.cancel(null);
            }
            // ROOT, not the caller's context: the stream belongs to this watch, not to the call that opened it
            ctx = Context.ROOT.withCancellation();
            context = ctx;
            current = observer;
            lastMessageNanos = client.ticker().nanoTime();
            scheduleIdleCheck(observer, IDLE_TIMEOUT_NANOS);
        }
        ctx.run(() -> RegistryGrpc.newStub(client.endpoints().channel(index)).watch(req.build(), observer));
    }

    /** Under {@link #lock}. */
    private void scheduleIdleCheck(Observer observer, long delayNanos) {
        cancelIdleCheck();
        try {
            idleCheck = client.scheduler().schedule(() -> checkIdle(observer), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // client closed
        }
    }

    /** Under {@link #lock}. */
    private void cancelIdleCheck() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
    }

    private void checkIdle(Observer observer) {
        Context.CancellableContext silent;
        synchronized (lock) {
            if (closed || current != observer) {
                return;
            }
            long idle = client.ticker().nanoTime() - lastMessageNanos;
            if (idle < IDLE_TIMEOUT_NANOS) {
                scheduleIdleCheck(observer, IDLE_TIMEOUT_NANOS - idle);
                return;
            }
            log.log(Level.INFO, () -> "watch stream to " + client.endpoints().target(observer.index) + " silent for "
                    + TimeUnit.NANOSECONDS.toMillis(idle) + " ms: resuming elsewhere");
            silent = context;
        }
        // the stream then fails with CANCELLED, which resumes on the next member
        silent.cancel(io.grpc.Status.DEADLINE_EXCEEDED.withDescription("no message for " + TimeUnit.NANOSECONDS.toMillis(IDLE_TIMEOUT_NANOS)
                + " ms").asRuntimeException());
    }

    private final class Observer implements StreamObserver<WatchResponse> {
        private final int index;

        Observer(int index) {
            this.index = index;
        }

        @Override
        public void onNext(WatchResponse r) {
            synchronized (lock) {
                if (closed || current != this) {
                    return;
                }
                lastMessageNanos = client.ticker().nanoTime();
                onResponse(r);
            }
            callbacks.drain();
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (RetryPolicy.isFatal(status.getCode())) {
                synchronized (lock) {
                    if (closed || current != this) {
                        return;
                    }
                    closed = true;
                    current = null;
                    cancelIdleCheck();
                    log.log(Level.WARNING, () -> "watch of " + namespace + "/" + services + " ended: " + status);
                    callbacks.add(() -> listener.onError(status));
                }
                callbacks.drain();
                return;
            }
            // whatever else broke (member down, shutting down, overloaded, network): resume on the next member
            int next = client.endpoints().failover(index);
            reconnectLater(this, next, t);
        }

        @Override
        public void onCompleted() {
            // the server ends a stream only after COMPACTED: reconnect at once on the same member
            reconnectLater(this, index, null);
        }
    }

    /** Applies one message to the state and queues what the listener is told; under {@link #lock}. */
    private void onResponse(WatchResponse r) {
        attempt = 0;
        switch (r.getKind()) {
            case SNAPSHOT -> {
                if (snapshotParts == null) {
                    snapshotParts = new ArrayList<>();
                }
                snapshotParts.addAll(r.getInstancesList());
                if (r.getSnapshotComplete()) {
                    List<Instance> all = List.copyOf(snapshotParts);
                    long revision = r.getRevision();
                    snapshotParts = null;
                    needSnapshot = false;
                    lastRevision = revision;
                    callbacks.add(() -> listener.onSnapshot(all, revision));
                }
            }
            case EVENTS -> {
                List<Event> fresh = new ArrayList<>(r.getEventsCount());
                for (Event e : r.getEventsList()) {
                    if (e.getRevision() > lastRevision) {
                        fresh.add(e);
                    }
                }
                lastRevision = Math.max(lastRevision, r.getRevision());
                if (!fresh.isEmpty()) {
                    List<Event> events = List.copyOf(fresh);
                    callbacks.add(() -> listener.onEvents(events));
                }
            }
            case PROGRESS -> {
                if (r.getRevision() > lastRevision) {
                    lastRevision = r.getRevision();
                }
                long revision = lastRevision;
                callbacks.add(() -> listener.onProgress(revision));
            }
            case COMPACTED -> {
                log.log(Level.INFO, () -> "watch from revision " + (lastRevision + 1) + " compacted (oldest " + r.getCompactRevision()
                        + "): resyncing from a snapshot");
                needSnapshot = true;
            }
            default -> {
            }
        }
    }

    private void reconnectLater(Observer from, int index, Throwable cause) {
        long delay;
        String target = client.endpoints().target(index);
        synchronized (lock) {
            if (closed || current != from) {
                return;
            }
            current = null;
            cancelIdleCheck();
            attempt++;
            delay = cause == null ? 0 : client.retryPolicy().backoffNanos(attempt, client.random());
            if (cause != null) {
                long delayMs = TimeUnit.NANOSECONDS.toMillis(delay);
                log.log(Level.DEBUG, () -> "watch stream failed (" + cause + "), resuming after revision " + lastRevision + " on "
                        + target + " in " + delayMs + " ms");
                callbacks.add(() -> listener.onReconnect(cause, target));
            }
        }
        callbacks.drain();
        try {
            client.scheduler().schedule(() -> connect(index), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // client closed
        }
    }

    /** Cancels the stream; no callback follows one already running. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            current = null;
            cancelIdleCheck();
            callbacks.clear();
            if (context != null) {
                context.cancel(null);
            }
        }
    }
}
