package io.muster.server.health;

import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** A raw {@code Registry.Watch} stream on one service, recording every event it receives. */
final class WatchRecorder implements AutoCloseable {

    /** One health transition as a watcher saw it. */
    record Change(String id, HealthStatus from, HealthStatus to, String reason) {
    }

    final List<Event> events = new CopyOnWriteArrayList<>();
    final AtomicBoolean snapshotComplete = new AtomicBoolean();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    private final AtomicReference<ClientCallStreamObserver<WatchRequest>> call = new AtomicReference<>();

    WatchRecorder(Channel channel, String service) {
        RegistryGrpc.newStub(channel).watch(WatchRequest.newBuilder().addServices(service).setProgressIntervalMs(1000).build(),
                new ClientResponseObserver<WatchRequest, WatchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                        call.set(requestStream);
                    }

                    @Override
                    public void onNext(WatchResponse r) {
                        if (r.getKind() == WatchResponse.Kind.SNAPSHOT && r.getSnapshotComplete()) {
                            snapshotComplete.set(true);
                        }
                        if (r.getKind() == WatchResponse.Kind.EVENTS) {
                            events.addAll(r.getEventsList());
                        }
                        if (r.getKind() == WatchResponse.Kind.COMPACTED) {
                            error.set(new IllegalStateException("watch compacted at " + r.getCompactRevision()));
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.compareAndSet(null, t);
                    }

                    @Override
                    public void onCompleted() {
                        error.compareAndSet(null, new IllegalStateException("watch ended"));
                    }
                });
    }

    /** HEALTH_CHANGED events of one instance, in revision order. */
    List<Change> healthChanges(String id) {
        return events.stream()
                .filter(e -> e.getType() == EventType.HEALTH_CHANGED && e.getInstance().getId().equals(id))
                .map(e -> new Change(id, e.getPreviousHealth(), e.getInstance().getHealth(), e.getInstance().getHealthReason()))
                .toList();
    }

    List<HealthStatus> healthSequence(String id) {
        return healthChanges(id).stream().map(Change::to).toList();
    }

    @Override
    public void close() {
        ClientCallStreamObserver<WatchRequest> c = call.get();
        if (c != null) {
            c.cancel("test done", null);
        }
    }
}
