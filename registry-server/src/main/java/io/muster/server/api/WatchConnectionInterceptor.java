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

/**
 * Names the connection of each {@code Watch} call (its remote address, unique among open
 * connections) so that the watch fan-out can serve the streams of one connection together and
 * flush it before the next ({@link io.muster.server.watch.WatchSink#connection()}). Other calls
 * pass through untouched.
 */
final class WatchConnectionInterceptor implements ServerInterceptor {

    static final Context.Key<SocketAddress> CONNECTION = Context.key("muster-watch-connection");
    private static final String WATCH = RegistryGrpc.getWatchMethod().getFullMethodName();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (remote == null || !WATCH.equals(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(CONNECTION, remote), call, headers, next);
    }
}
