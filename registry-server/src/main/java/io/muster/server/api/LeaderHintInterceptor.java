package io.muster.server.api;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.peer.Forwarder;
import java.util.Set;

/**
 * Tells clients where the leader is: the response headers of every write ({@code Register},
 * {@code Deregister}) carry {@code muster-leader: <gRPC address>} when the leader is known, so a
 * client can send its next writes there directly instead of through a forwarding member (which
 * costs a second gRPC hop). Only a hint: any member still serves any write.
 */
public final class LeaderHintInterceptor implements ServerInterceptor {

    public static final Metadata.Key<String> LEADER = Metadata.Key.of("muster-leader", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> WRITES = Set.of(
            RegistryGrpc.getRegisterMethod().getFullMethodName(),
            RegistryGrpc.getDeregisterMethod().getFullMethodName(),
            RegistryGrpc.getSetMaintenanceMethod().getFullMethodName());

    private final Forwarder forwarder;

    public LeaderHintInterceptor(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!WRITES.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                String leader = forwarder.leaderHint();
                if (leader != null) {
                    responseHeaders.put(LEADER, leader);
                }
                super.sendHeaders(responseHeaders);
            }
        }, headers);
    }
}
