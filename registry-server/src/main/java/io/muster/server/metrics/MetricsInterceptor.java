package io.muster.server.metrics;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Counts and times every gRPC call by method and status code ({@code muster_grpc_server_calls}). */
public final class MetricsInterceptor implements ServerInterceptor {
    private static final Status.Code[] CODES = Status.Code.values();

    private final MeterRegistry registry;
    /** Timers by method, then by status code: registry lookups (tags, ids) once, not per call. */
    private final ConcurrentHashMap<String, Timer[]> timers = new ConcurrentHashMap<>();

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
                timer(method, status.getCode()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                super.close(status, trailers);
            }
        }, headers);
    }

    private Timer timer(String method, Status.Code code) {
        Timer[] byCode = timers.computeIfAbsent(method, m -> new Timer[CODES.length]);
        Timer t = byCode[code.ordinal()];
        if (t == null) {
            // a racing registration gets the same meter back from the registry
            t = Timer.builder("muster.grpc.server.calls")
                    .description("gRPC calls served, by method and status")
                    .tag("method", method)
                    .tag("code", code.name())
                    // every series of one name must be the same kind: a histogram for some methods and a
                    // summary for others made the Prometheus scrape fail (ClassCastException) once both existed
                    .publishPercentileHistogram(true)
                    .register(registry);
            byCode[code.ordinal()] = t;
        }
        return t;
    }
}
