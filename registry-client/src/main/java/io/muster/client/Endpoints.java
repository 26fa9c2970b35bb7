package io.muster.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One gRPC channel per registry member. Callers use the current one and {@link #failover} away from
 * a member that answered UNAVAILABLE; every member serves every call, so any one will do.
 *
 * <p>Writes prefer the leader: members name it in the {@code muster-leader} response header of
 * writes, and when that address is one of the targets, {@link #writerIndex} points at it, which saves
 * the forwarding hop through another member. A failed write forgets it.
 */
final class Endpoints implements AutoCloseable {
    static final Metadata.Key<String> LEADER = Metadata.Key.of("muster-leader", Metadata.ASCII_STRING_MARSHALLER);
    private final List<String> targets;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger leader = new AtomicInteger(-1);

    private volatile boolean closed;

    /** Plain-text Netty channels with keep-alive: the default when the builder names no channel factory. */
    static ManagedChannelBuilder<?> defaultChannel(String target) {
        return NettyChannelBuilder.forTarget(target)
                .usePlaintext()
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true);
    }

    Endpoints(List<String> targets, Function<String, ManagedChannelBuilder<?>> channels) {
        this(targets, channels, null);
    }

    /** @param credentials sent with every call on these channels (the ACL token), or null */
    Endpoints(List<String> targets, Function<String, ManagedChannelBuilder<?>> channels, CallCredentials credentials) {
        this.targets = List.copyOf(targets);
        ClientInterceptor leaderHints = new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                if (credentials != null && options.getCredentials() == null) {
                    options = options.withCallCredentials(credentials);
                }
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(Metadata responseHeaders) {
                                String hint = responseHeaders.get(LEADER);
                                if (hint != null) {
                                    learnLeader(hint);
                                }
                                super.onHeaders(responseHeaders);
                            }
                        }, headers);
                    }
                };
            }
        };
        for (String t : this.targets) {
            this.channels.add(channels.apply(t).intercept(leaderHints).build());
        }
    }

    /** A member named {@code grpcAddress} as the leader: writes go there if it is one of the targets. */
    void learnLeader(String grpcAddress) {
        int index = targets.indexOf(grpcAddress);
        if (index >= 0) {
            leader.set(index);
        }
    }

    /** Where the next write goes: the known leader, else the current member. */
    int writerIndex() {
        int l = leader.get();
        return l >= 0 ? l : current.get();
    }

    /** A write to {@code index} failed: stop preferring it (a later answer names the new leader). */
    void forgetLeader(int index) {
        leader.compareAndSet(index, -1);
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

    boolean isClosed() {
        return closed;
    }

    /** Starts an orderly shutdown of every channel; calls in flight finish or fail. */
    void shutdown() {
        closed = true;
        channels.forEach(ManagedChannel::shutdown);
    }

    @Override
    public void close() {
        closed = true;
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
