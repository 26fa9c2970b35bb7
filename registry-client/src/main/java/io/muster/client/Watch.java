package io.muster.client;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resumable watch stream. It remembers the last revision it delivered; when the stream ends for
 * any reason it reconnects (to the next member after an error) with {@code start_revision = last + 1},
 * so the listener sees no gap and no duplicate. A COMPACTED answer restarts from a snapshot.
 */
public final class Watch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Watch.class);

    private final RegistryClient client;
    private final Set<String> services;
    private final WatchListener listener;
    private final Object lock = new Object();
    private long lastRevision;
    private boolean needSnapshot;
    private int attempt;
    private volatile boolean closed;
    private Context.CancellableContext context;
    private List<Instance> snapshotParts;

    Watch(RegistryClient client, Set<String> services, long startRevision, WatchListener listener) {
        if (startRevision < 0) {
            throw new IllegalArgumentException("startRevision: " + startRevision + " (expected: >= 0)");
        }
        this.client = client;
        this.services = Set.copyOf(services);
        this.listener = listener;
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

    private void connect(int index) {
        WatchRequest.Builder req = WatchRequest.newBuilder().addAllServices(services).setProgressIntervalMs(2000);
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (!needSnapshot) {
                req.setStartRevision(lastRevision + 1);
            }
            snapshotParts = null;
            context = Context.current().withCancellation();
        }
        Context.CancellableContext ctx = context;
        ctx.run(() -> RegistryGrpc.newStub(client.endpoints().channel(index)).watch(req.build(), new Observer(index)));
    }

    private final class Observer implements StreamObserver<WatchResponse> {
        private final int index;

        Observer(int index) {
            this.index = index;
        }

        @Override
        public void onNext(WatchResponse r) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                attempt = 0;
                switch (r.getKind()) {
                    case SNAPSHOT -> {
                        if (snapshotParts == null) {
                            snapshotParts = new ArrayList<>();
                        }
                        snapshotParts.addAll(r.getInstancesList());
                        if (r.getSnapshotComplete()) {
                            List<Instance> all = List.copyOf(snapshotParts);
                            snapshotParts = null;
                            needSnapshot = false;
                            lastRevision = r.getRevision();
                            listener.onSnapshot(all, r.getRevision());
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
                            listener.onEvents(fresh);
                        }
                    }
                    case PROGRESS -> {
                        if (r.getRevision() > lastRevision) {
                            lastRevision = r.getRevision();
                        }
                        listener.onProgress(lastRevision);
                    }
                    case COMPACTED -> {
                        log.info("watch from revision {} compacted (oldest {}): resyncing from a snapshot",
                                lastRevision + 1, r.getCompactRevision());
                        needSnapshot = true;
                    }
                    default -> {
                    }
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (closed) {
                return;
            }
            // whatever broke (member down, shutting down, network), resume on the next member
            int next = client.endpoints().failover(index);
            reconnectLater(next, t);
        }

        @Override
        public void onCompleted() {
            if (closed) {
                return;
            }
            // the server ends a stream only after COMPACTED: reconnect at once on the same member
            reconnectLater(index, null);
        }
    }

    private void reconnectLater(int index, Throwable cause) {
        long delay;
        synchronized (lock) {
            attempt++;
            delay = cause == null ? 0 : client.retryPolicy().backoffNanos(attempt);
        }
        if (cause != null) {
            log.debug("watch stream failed ({}), resuming after revision {} on {}", cause.toString(), lastRevision(),
                    client.endpoints().target(index));
            listener.onReconnect(cause, client.endpoints().target(index));
        }
        try {
            client.scheduler().schedule(() -> connect(index), delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // client closed
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (context != null) {
                context.cancel(null);
            }
        }
    }
}
