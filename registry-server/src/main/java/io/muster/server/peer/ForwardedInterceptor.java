package io.muster.server.peer;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * The {@code muster-forwarded-by} marker on the way in. On the peer listener it marks calls
 * forwarded by another member, so they are served here or refused, never forwarded again. On the
 * public port anyone could send it, so there it is removed: a client that sends it is any client.
 */
public final class ForwardedInterceptor implements ServerInterceptor {

    private final boolean honour;

    private ForwardedInterceptor(boolean honour) {
        this.honour = honour;
    }

    /** For the peer listener: the header marks the call as forwarded. */
    public static ServerInterceptor honouring() {
        return new ForwardedInterceptor(true);
    }

    /** For the public port: the header is dropped before any handler sees it. */
    public static ServerInterceptor stripping() {
        return new ForwardedInterceptor(false);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!honour) {
            headers.removeAll(Forwarder.FORWARDED_BY);
            return next.startCall(call, headers);
        }
        String by = headers.get(Forwarder.FORWARDED_BY);
        if (by == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(Forwarder.FORWARDED_CTX, by), call, headers, next);
    }
}
