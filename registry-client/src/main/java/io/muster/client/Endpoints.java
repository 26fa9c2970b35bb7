package io.muster.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One gRPC channel per registry member. Callers use the current one and {@link #failover} away from
 * a member that answered UNAVAILABLE; every member serves every call, so any one will do.
 */
final class Endpoints implements AutoCloseable {
    private final List<String> targets;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger current = new AtomicInteger();

    Endpoints(List<String> targets) {
        this.targets = List.copyOf(targets);
        for (String t : this.targets) {
            channels.add(NettyChannelBuilder.forTarget(t)
                    .usePlaintext()
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .keepAliveTimeout(10, TimeUnit.SECONDS)
                    .keepAliveWithoutCalls(true)
                    .build());
        }
    }

    int size() {
        return channels.size();
    }

    int currentIndex() {
        return current.get();
    }

    ManagedChannel channel(int index) {
        return channels.get(Math.floorMod(index, channels.size()));
    }

    String target(int index) {
        return targets.get(Math.floorMod(index, targets.size()));
    }

    List<String> targets() {
        return targets;
    }

    /** Moves away from {@code failedIndex} (unless another caller already did). Returns the new index. */
    int failover(int failedIndex) {
        // the counter always holds a valid index, so the compare works however often we fail over
        current.compareAndSet(failedIndex, (failedIndex + 1) % channels.size());
        return currentIndex();
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdown);
        for (ManagedChannel c : channels) {
            try {
                if (!c.awaitTermination(2, TimeUnit.SECONDS)) {
                    c.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.shutdownNow();
            }
        }
    }
}
