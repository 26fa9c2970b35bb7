package io.muster.server.api;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.config.Limits;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the Watch and KeepAlive streams open on one client connection (the call's remote address,
 * unique among open connections). A call over a cap is closed with
 * {@code RESOURCE_EXHAUSTED: max-watchers-per-connection: 1001 (limit 1000)}; the connection's
 * other calls, and every other connection, are unaffected. A stream's slot is released exactly once
 * when its call ends, however it ends (completed, cancelled, failed, or its handler threw).
 *
 * <p>Installed on the public port only: members relay their clients' streams to the peer
 * listener, which has no such caps (a follower relays all its clients' keep-alive streams on one
 * connection, and each was counted on the member its client reached). A {@code muster-forwarded-by}
 * header therefore buys a client nothing here.
 *
 * <p>Thread-safe: counts change inside {@link ConcurrentHashMap#compute}, and an entry is removed
 * when its connection has no counted stream left, so the map holds only connections with streams.
 */
final class ConnectionStreamLimits implements ServerInterceptor {

    enum Kind {
        WATCH("max-watchers-per-connection", RegistryGrpc.getWatchMethod().getFullMethodName()),
        KEEP_ALIVE("max-keep-alive-streams-per-connection", RegistryGrpc.getKeepAliveMethod().getFullMethodName());

        final String limitName;
        final String method;

        Kind(String limitName, String method) {
            this.limitName = limitName;
            this.method = method;
        }
    }

    private static final Map<String, Kind> BY_METHOD = Map.of(Kind.WATCH.method, Kind.WATCH, Kind.KEEP_ALIVE.method, Kind.KEEP_ALIVE);

    private final int[] max = new int[Kind.values().length];
    private final Map<SocketAddress, int[]> open = new ConcurrentHashMap<>();
    private final AtomicInteger[] totals = {new AtomicInteger(), new AtomicInteger()};

    ConnectionStreamLimits(Limits limits) {
        max[Kind.WATCH.ordinal()] = limits.maxWatchersPerConnection();
        max[Kind.KEEP_ALIVE.ordinal()] = limits.maxKeepAliveStreamsPerConnection();
    }

    ConnectionStreamLimits bind(MeterRegistry meters) {
        for (Kind k : Kind.values()) {
            Gauge.builder("muster.connection.streams", this, l -> l.open(k))
                    .description("counted streams open on client connections (per-connection limits)")
                    .tag("method", k.method)
                    .register(meters);
        }
        Gauge.builder("muster.connections.with.streams", this, ConnectionStreamLimits::connections)
                .description("client connections with a counted Watch or KeepAlive stream open").register(meters);
        return this;
    }

    /** Counted streams of {@code kind} open now, over all connections. */
    int open(Kind kind) {
        return totals[kind.ordinal()].get();
    }

    /** Connections with at least one counted stream. */
    int connections() {
        return open.size();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Kind kind = BY_METHOD.get(call.getMethodDescriptor().getFullMethodName());
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (kind == null || remote == null) {
            return next.startCall(call, headers);
        }
        int refused = acquire(remote, kind);
        if (refused > 0) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(
                    kind.limitName + ": " + refused + " (limit " + max[kind.ordinal()] + ")"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                release(remote, kind);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException | Error e) {
            release.run();
            throw e;
        }
        // gRPC ends every started call with exactly one of onComplete and onCancel
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    release.run();
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }

    /** Takes a slot; returns 0, or the count the call would have made when it is over the cap. */
    private int acquire(SocketAddress remote, Kind kind) {
        int i = kind.ordinal();
        int[] refused = {0};
        open.compute(remote, (k, counts) -> {
            int[] c = counts == null ? new int[max.length] : counts;
            if (c[i] >= max[i]) {
                refused[0] = c[i] + 1;
                return counts; // unchanged (null stays absent)
            }
            c[i]++;
            return c;
        });
        if (refused[0] == 0) {
            totals[i].incrementAndGet();
        }
        return refused[0];
    }

    private void release(SocketAddress remote, Kind kind) {
        int i = kind.ordinal();
        open.computeIfPresent(remote, (k, c) -> {
            c[i]--;
            for (int n : c) {
                if (n > 0) {
                    return c;
                }
            }
            return null;
        });
        totals[i].decrementAndGet();
    }
}
