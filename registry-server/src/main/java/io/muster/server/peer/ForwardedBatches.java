package io.muster.server.peer;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.api.Causes;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.ForwardBatchRequest;
import io.muster.internal.v1.ForwardBatchResponse;
import io.muster.internal.v1.ForwardedCall;
import io.muster.internal.v1.ForwardedResult;
import io.muster.internal.v1.ForwardingGrpc;
import io.muster.internal.v1.InternalGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The leader's side of {@link ForwardBatcher}: {@code Forwarding/ForwardBatch} on the peer listener.
 * Each call of a batch is handed, in order and on the calling thread, to the same handler that
 * serves it when it is forwarded alone (the batch call carries the {@code muster-forwarded-by}
 * marker, so the handler never forwards it again and answers {@code UNAVAILABLE} when this member
 * no longer leads). Their proposals thus reach the proposal batcher together and share log entries.
 * The answer holds every call's own status, in the request's order: one bad call never fails its
 * neighbours.
 *
 * <p>Like every forwarded call, these are not authorized here: the member the client called has.
 */
public final class ForwardedBatches extends ForwardingGrpc.ForwardingImplBase {

    /** What followers forward in batches: the unary writes that go to the leader through {@link Forwarder#onLeader}. */
    static final Set<String> METHODS = Set.of(
            RegistryGrpc.getRegisterMethod().getFullMethodName(),
            RegistryGrpc.getDeregisterMethod().getFullMethodName(),
            InternalGrpc.getProposeMethod().getFullMethodName());

    /** A unary handler, as a generated service implements it. */
    @FunctionalInterface
    public interface Handler<Q, R> {
        void call(Q request, StreamObserver<R> observer);
    }

    private record Route<Q, R>(MethodDescriptor<Q, R> method, Handler<Q, R> handler) {}

    private final Map<String, Route<?, ?>> routes = new HashMap<>();

    /** Serves {@code method} (one of {@link #METHODS}) with {@code handler}; call before the listener starts. */
    public <Q, R> ForwardedBatches route(MethodDescriptor<Q, R> method, Handler<Q, R> handler) {
        if (!METHODS.contains(method.getFullMethodName())) {
            throw new IllegalArgumentException("method: " + method.getFullMethodName() + " (expected one of " + METHODS + ")");
        }
        routes.put(method.getFullMethodName(), new Route<>(method, handler));
        return this;
    }

    @Override
    public void forwardBatch(ForwardBatchRequest request, StreamObserver<ForwardBatchResponse> observer) {
        if (!Forwarder.isForwarded()) {
            observer.onError(Status.FAILED_PRECONDITION.withDescription("muster-forwarded-by: missing (expected: the id of the forwarding member)")
                    .asRuntimeException());
            return;
        }
        int n = request.getCallsCount();
        ForwardedResult[] results = new ForwardedResult[n];
        AtomicInteger left = new AtomicInteger(n + 1);
        Runnable oneDone = () -> {
            if (left.decrementAndGet() == 0) {
                ForwardBatchResponse.Builder b = ForwardBatchResponse.newBuilder();
                for (ForwardedResult r : results) {
                    b.addResults(r);
                }
                observer.onNext(b.build());
                observer.onCompleted();
            }
        };
        for (int i = 0; i < n; i++) {
            int index = i;
            run(request.getCalls(i), r -> {
                results[index] = r;
                oneDone.run();
            });
        }
        oneDone.run();
    }

    private void run(ForwardedCall call, java.util.function.Consumer<ForwardedResult> done) {
        Route<?, ?> route = routes.get(call.getMethod());
        if (route == null) {
            done.accept(failure(Status.UNIMPLEMENTED.withDescription("calls[].method: '" + call.getMethod()
                    + "' (expected one of " + routes.keySet() + ")")));
            return;
        }
        if (call.getTimeoutMs() <= 0) {
            done.accept(failure(Status.DEADLINE_EXCEEDED.withDescription("deadline passed before the leader took the call")));
            return;
        }
        run(route, call, done);
    }

    private static <Q, R> void run(Route<Q, R> route, ForwardedCall call, java.util.function.Consumer<ForwardedResult> done) {
        Q request;
        try {
            request = route.method().parseRequest(call.getRequest().newInput());
        } catch (RuntimeException e) {
            done.accept(failure(Status.INVALID_ARGUMENT.withDescription("calls[].request: not a " + route.method().getFullMethodName()
                    + " request (" + e.getMessage() + ")")));
            return;
        }
        StreamObserver<R> observer = new StreamObserver<>() {
            private R value;
            private boolean finished;

            @Override
            public void onNext(R v) {
                value = v;
            }

            @Override
            public void onError(Throwable t) {
                finish(failure(Status.fromThrowable(Causes.unwrap(t))));
            }

            @Override
            public void onCompleted() {
                finish(value == null
                        ? failure(Status.INTERNAL.withDescription(route.method().getFullMethodName() + " completed without a response"))
                        : ForwardedResult.newBuilder().setResponse(serialize(route.method(), value)).build());
            }

            private void finish(ForwardedResult r) {
                if (!finished) {
                    finished = true;
                    done.accept(r);
                }
            }
        };
        try {
            route.handler().call(request, observer);
        } catch (RuntimeException e) {
            observer.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
    }

    private static ForwardedResult failure(Status s) {
        return ForwardedResult.newBuilder().setCode(s.getCode().value())
                .setMessage(s.getDescription() == null ? "" : s.getDescription()).build();
    }

    private static <R> com.google.protobuf.ByteString serialize(MethodDescriptor<?, R> method, R response) {
        try (InputStream in = method.streamResponse(response)) {
            return com.google.protobuf.ByteString.readFrom(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a response of " + method.getFullMethodName(), e);
        }
    }
}
