package io.muster.server.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.muster.api.v1.RegistryGrpc;
import java.net.SocketAddress;
import java.util.concurrent.Executor;

/**
 * Names the connection of each {@code Watch} call (its remote address, unique among open
 * connections) so that the watch fan-out can serve the streams of one connection together and
 * flush it before the next ({@link io.muster.server.watch.WatchSink#connection()}), and the event
 * loop the call runs on, where its watcher drains ({@link #LOOP}; null when the call is not on one of
 * the member's {@link ServerLoops}). Other calls pass through untouched.
 */
final class WatchConnectionInterceptor implements ServerInterceptor {

    static final Context.Key<SocketAddress> CONNECTION = Context.key("muster-watch-connection");
    static final Context.Key<Executor> LOOP = Context.key("muster-watch-loop");
    private static final String WATCH = RegistryGrpc.getWatchMethod().getFullMethodName();

    private final ServerLoops loops;

    WatchConnectionInterceptor(ServerLoops loops) {
        this.loops = loops;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (remote == null || !WATCH.equals(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        // handlers run on the connection's event loop (directExecutor), and so does this
        return Contexts.interceptCall(Context.current().withValues(CONNECTION, remote, LOOP, loops.current()), call, headers, next);
    }
}
