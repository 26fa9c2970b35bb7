package io.muster.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegistryGrpc;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A bare keep-alive stream for server tests (the client library has the real one): sends every
 * {@code periodMs}; when the stream fails it reopens on the next node.
 */
public final class KeepAliveLoop implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<String> nodes;
    private final Function<String, ManagedChannel> channels;
    private final long leaseId;
    private final AtomicInteger target = new AtomicInteger();
    public final AtomicInteger renewed = new AtomicInteger();
    public final AtomicInteger notFound = new AtomicInteger();
    public final AtomicInteger reconnects = new AtomicInteger();
    private StreamObserver<KeepAliveRequest> stream;

    public KeepAliveLoop(long leaseId, List<String> nodes, Function<String, ManagedChannel> channels, long periodMs) {
        this.leaseId = leaseId;
        this.nodes = List.copyOf(nodes);
        this.channels = channels;
        timer.scheduleWithFixedDelay(this::send, 0, periodMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void send() {
        if (stream == null) {
            String node = nodes.get(Math.floorMod(target.get(), nodes.size()));
            stream = RegistryGrpc.newStub(channels.apply(node)).keepAlive(new StreamObserver<>() {
                @Override
                public void onNext(KeepAliveResponse r) {
                    (r.getFound() ? renewed : notFound).incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                    reset();
                }

                @Override
                public void onCompleted() {
                    reset();
                }
            });
        }
        stream.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    }

    private synchronized void reset() {
        stream = null;
        target.incrementAndGet();
        reconnects.incrementAndGet();
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (stream != null) {
            stream.onCompleted();
        }
    }
}
