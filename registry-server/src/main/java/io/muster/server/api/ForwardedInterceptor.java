package io.muster.server.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** Marks calls forwarded by another member so they are served here or refused, never forwarded again. */
public final class ForwardedInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String by = headers.get(Forwarder.FORWARDED_BY);
        if (by == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(Forwarder.FORWARDED_CTX, by), call, headers, next);
    }
}
