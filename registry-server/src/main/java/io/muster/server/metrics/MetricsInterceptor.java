package io.muster.server.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Counts and times every gRPC call by method and status code ({@code muster_grpc_server_calls}). */
public final class MetricsInterceptor implements ServerInterceptor {
    private final MeterRegistry registry;

    public MetricsInterceptor(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getFullMethodName();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                Timer.builder("muster.grpc.server.calls")
                        .description("gRPC calls served, by method and status")
                        .tag("method", method)
                        .tag("code", status.getCode().name())
                        .publishPercentileHistogram(method.endsWith("Register") || method.endsWith("Discover"))
                        .register(registry)
                        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                super.close(status, trailers);
            }
        }, headers);
    }
}
