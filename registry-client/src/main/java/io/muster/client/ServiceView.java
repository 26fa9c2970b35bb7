package io.muster.client;

import io.muster.api.Routing;

import io.grpc.Status;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The live set of instances of one service, kept current by a watch. Reads are lock-free: each
 * change publishes a new immutable {@link Snapshot}.
 *
 * <pre>{@code
 * ServiceView orders = client.serviceView("orders");
 * orders.whenReady().join();                 // fails if the watch cannot succeed (e.g. INVALID_ARGUMENT)
 * orders.addListener(s -> pool.update(s.routable()));
 * }</pre>
 *
 * <p>With a {@linkplain RegistryClient.Builder#snapshotDir snapshot directory} the view keeps a copy
 * of the last live set on disk; if the registry cannot be reached when the view starts, it serves
 * that copy ({@link Snapshot#stale()} true) until the first live answer replaces it.
 *
 * <p>Threading: the state changes under the view's lock; listeners run after it, serialized, on the
 * client's callback executor (never on the stream's transport thread, never under a lock).
 */
public final class ServiceView implements AutoCloseable {

    private static final System.Logger log = System.getLogger(ServiceView.class.getName());

    /** An immutable state of the service at {@code revision}; {@code stale} if read from the failsafe snapshot. */
    public record Snapshot(String service, long revision, List<Instance> instances, boolean stale) {
        public Snapshot {
            instances = List.copyOf(instances);
        }

        public Snapshot(String service, long revision, List<Instance> instances) {
            this(service, revision, instances, false);
        }

        /** Instances that take traffic: HEALTHY or WARNING, and not in maintenance. */
        public List<Instance> routable() {
            return instances.stream().filter(Routing::isRoutable).toList();
        }
    }


    private final String namespace;
    private final String service;
    private final Object lock = new Object();
    private final Map<String, Instance> byId = new LinkedHashMap<>();
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Snapshot> ready = new CompletableFuture<>();
    private final CallbackQueue callbacks;
    private final SnapshotFile file;
    private final Executor fileWriter;
    private final AtomicReference<Snapshot> toWrite = new AtomicReference<>();
    private final ScheduledFuture<?> staleTimer;
    private final Watch watch;
    private volatile Snapshot current;
    private boolean live;
    private boolean staleTried;
    private boolean closed;

    ServiceView(RegistryClient client, String namespace, String service, Path snapshotDir) {
        this.namespace = namespace;
        this.service = service;
        this.current = new Snapshot(service, 0, List.of());
        this.callbacks = new CallbackQueue(client.callbackExecutor(), "view of " + namespace + "/" + service);
        this.file = snapshotDir == null ? null : new SnapshotFile(snapshotDir, namespace, service);
        this.fileWriter = com.google.common.util.concurrent.MoreExecutors.newSequentialExecutor(client.callbackExecutor());
        ScheduledFuture<?> timer = null;
        if (file != null) {
            // a registry that does not answer at all (no error either) also falls back to the copy
            try {
                timer = client.scheduler().schedule(this::serveStale, client.retryPolicy().attemptTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // client closed
            }
        }
        this.staleTimer = timer;
        this.watch = client.watch(namespace, Set.of(service), 0, new WatchListener() {
            @Override
            public void onSnapshot(List<Instance> instances, long revision) {
                synchronized (lock) {
                    byId.clear();
                    instances.forEach(i -> byId.put(i.getId(), i));
                    publish(revision);
                }
                callbacks.drain();
            }

            @Override
            public void onEvents(List<Event> events) {
                synchronized (lock) {
                    for (Event e : events) {
                        Instance i = e.getInstance();
                        switch (e.getType()) {
                            case REGISTERED, UPDATED, HEALTH_CHANGED, MAINTENANCE_CHANGED -> byId.put(i.getId(), i);
                            case DEREGISTERED, EXPIRED -> byId.remove(i.getId());
                            default -> {
                            }
                        }
                    }
                    publish(events.get(events.size() - 1).getRevision());
                }
                callbacks.drain();
            }

            @Override
            public void onReconnect(Throwable cause, String nextTarget) {
                serveStale();
            }

            @Override
            public void onError(Status status) {
                synchronized (lock) {
                    callbacks.add(() -> ready.completeExceptionally(status.asRuntimeException()));
                }
                callbacks.drain();
            }
        });
    }

    /** Under {@link #lock}: a live state. */
    private void publish(long revision) {
        if (!live && staleTimer != null) {
            staleTimer.cancel(false);
        }
        live = true;
        Snapshot s = new Snapshot(service, revision, new ArrayList<>(byId.values()));
        current = s;
        callbacks.add(() -> deliver(s));
        if (file != null) {
            toWrite.set(s);
            fileWriter.execute(this::writeLatest);
        }
    }

    /** The registry could not be reached before the first live answer: serve the failsafe copy once. */
    private void serveStale() {
        if (file == null) {
            return;
        }
        synchronized (lock) {
            if (live || staleTried || closed) {
                return;
            }
            staleTried = true;
        }
        Optional<SnapshotFile.Content> copy;
        try {
            copy = file.read();
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, () -> "failsafe snapshot " + file.path() + " of " + service + " unreadable: " + e);
            return;
        }
        if (copy.isEmpty()) {
            return;
        }
        synchronized (lock) {
            if (live || closed) {
                return; // the live answer won the race
            }
            Snapshot s = new Snapshot(service, copy.get().revision(), copy.get().instances(), true);
            current = s;
            log.log(Level.WARNING, () -> "registry unreachable: serving " + s.instances().size() + " instances of " + service
                    + " from the failsafe snapshot (revision " + s.revision() + ") until it answers");
            callbacks.add(() -> deliver(s));
        }
        callbacks.drain();
    }

    private void deliver(Snapshot s) {
        ready.complete(s);
        for (Consumer<Snapshot> l : listeners) {
            l.accept(s);
        }
    }

    private void writeLatest() {
        Snapshot s = toWrite.getAndSet(null);
        if (s == null) {
            return; // a later task already wrote a newer state
        }
        try {
            file.write(s.revision(), s.instances());
        } catch (IOException | RuntimeException e) {
            log.log(Level.WARNING, () -> "writing failsafe snapshot " + file.path() + " of " + service + " failed: " + e);
        }
    }

    /** The namespace of the service viewed. */
    public String namespace() {
        return namespace;
    }

    public String service() {
        return service;
    }

    /** The latest state (empty until the first answer; see {@link #whenReady()}). */
    public Snapshot snapshot() {
        return current;
    }

    public List<Instance> instances() {
        return current.instances();
    }

    public List<Instance> routable() {
        return current.routable();
    }

    /**
     * Completes with the first state (live, or the stale failsafe copy); completes exceptionally
     * with a {@link io.grpc.StatusRuntimeException} if the watch ended with a status no retry can fix.
     */
    public CompletableFuture<Snapshot> whenReady() {
        return ready;
    }

    /** Same as {@link #whenReady()}. */
    public CompletableFuture<Snapshot> ready() {
        return ready;
    }

    /** Called with every new state (serialized, on the callback executor). Also called soon with the current one if ready. */
    public void addListener(Consumer<Snapshot> listener) {
        listeners.add(listener);
        synchronized (lock) {
            if (ready.isDone() && !ready.isCompletedExceptionally()) {
                callbacks.add(() -> listener.accept(current));
            }
        }
        callbacks.drain();
    }

    public void removeListener(Consumer<Snapshot> listener) {
        listeners.remove(listener);
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            callbacks.clear();
        }
        if (staleTimer != null) {
            staleTimer.cancel(false);
        }
        watch.close();
    }
}
