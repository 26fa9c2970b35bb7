package io.muster.server.api;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;

/**
 * Binds {@code muster.v1.Registry/Watch} with a response marshaller that serializes each shared
 * EVENTS message once ({@link SerializeOnceMarshaller}); every other method is bound unchanged.
 *
 * <p>The service descriptor is rebuilt around the new method descriptor (gRPC requires the bound
 * method and the descriptor's method to be the same instance) and keeps the generated schema
 * descriptor, so server reflection still describes the service.
 */
public final class SharedWatchResponses {

    /** Enough for the EVENTS messages in flight at once (one per filter and position). */
    static final int CACHE_SLOTS = 256;

    private SharedWatchResponses() {
    }

    public static ServerServiceDefinition bind(RegistryGrpc.RegistryImplBase registry) {
        return rebind(registry.bindService(), new SerializeOnceMarshaller<>(WatchResponse.getDefaultInstance(),
                r -> r.getKind() == WatchResponse.Kind.EVENTS, CACHE_SLOTS));
    }

    static ServerServiceDefinition rebind(ServerServiceDefinition bound, MethodDescriptor.Marshaller<WatchResponse> marshaller) {
        MethodDescriptor<WatchRequest, WatchResponse> watch = RegistryGrpc.getWatchMethod().toBuilder()
                .setResponseMarshaller(marshaller)
                .build();
        ServiceDescriptor original = bound.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        for (MethodDescriptor<?, ?> m : original.getMethods()) {
            descriptor.addMethod(m.getFullMethodName().equals(watch.getFullMethodName()) ? watch : m);
        }
        ServerServiceDefinition.Builder rebound = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : bound.getMethods()) {
            if (m.getMethodDescriptor().getFullMethodName().equals(watch.getFullMethodName())) {
                @SuppressWarnings("unchecked")
                ServerMethodDefinition<WatchRequest, WatchResponse> w = (ServerMethodDefinition<WatchRequest, WatchResponse>) m;
                rebound.addMethod(ServerMethodDefinition.create(watch, w.getServerCallHandler()));
            } else {
                rebound.addMethod(m);
            }
        }
        return rebound.build();
    }
}
