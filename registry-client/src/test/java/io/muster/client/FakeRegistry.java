package io.muster.client;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A Registry service the test drives by hand, on an in-process server named like a member
 * ({@code "m1:1"}). Every Watch call is recorded with the member that got it; the test answers on
 * its stream. Register answers with lease 1, 2, ... unless {@link #onRegister} says otherwise.
 */
final class FakeRegistry extends RegistryGrpc.RegistryImplBase implements AutoCloseable {

    /** One Watch call as the server saw it. */
    record WatchCall(String member, WatchRequest request, ServerCallStreamObserver<WatchResponse> stream) {
        void send(WatchResponse r) {
            stream.onNext(r);
        }

        void fail(Status s) {
            stream.onError(s.asRuntimeException());
        }
    }

    final BlockingQueue<WatchCall> watches = new LinkedBlockingQueue<>();
    final List<WatchCall> allWatches = new CopyOnWriteArrayList<>();
    final List<String> registers = new CopyOnWriteArrayList<>();
    volatile BiConsumer<RegisterRequest, StreamObserver<RegisterResponse>> onRegister;
    volatile boolean leaseFound = true;
    /** Keep-alives get no answer (a leader that cannot be reached). */
    volatile boolean keepAliveSilent;
    /** Members whose keep-alive streams get no answer (frozen), and the member each keep-alive reached. */
    final Set<String> keepAliveSilentOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final List<String> keepAlivesReached = new CopyOnWriteArrayList<>();
    volatile Consumer<StreamObserver<DiscoverResponse>> onDiscover;
    private final List<Server> servers = new CopyOnWriteArrayList<>();
    private static final io.grpc.Context.Key<String> MEMBER = io.grpc.Context.key("fake-member");
    private long nextLease = 1;

    /** Serves this fake as member {@code name} (an in-process name such as {@code "m1:1"}). */
    FakeRegistry serve(String name) throws IOException {
        RegistryGrpc.RegistryImplBase self = this;
        io.grpc.BindableService named = () -> io.grpc.ServerInterceptors.intercept(self, new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata h,
                    io.grpc.ServerCallHandler<Q, R> next) {
                return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(MEMBER, name), call, h, next);
            }
        });
        servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(named).build().start());
        return this;
    }

    static Instance instance(String id) {
        return Instance.newBuilder().setService("orders").setId(id).setHost("127.0.0.1").setPort(8000)
                .setHealth(HealthStatus.HEALTHY).build();
    }

    static WatchResponse snapshot(long revision, Instance... instances) {
        return WatchResponse.newBuilder().setKind(WatchResponse.Kind.SNAPSHOT).setRevision(revision)
                .addAllInstances(List.of(instances)).setSnapshotComplete(true).build();
    }

    static WatchResponse events(long... revisions) {
        WatchResponse.Builder b = WatchResponse.newBuilder().setKind(WatchResponse.Kind.EVENTS);
        for (long r : revisions) {
            b.addEvents(Event.newBuilder().setType(EventType.REGISTERED).setRevision(r).setInstance(instance("i" + r)));
            b.setRevision(r);
        }
        return b.build();
    }

    static WatchResponse compacted(long oldest) {
        return WatchResponse.newBuilder().setKind(WatchResponse.Kind.COMPACTED).setCompactRevision(oldest).build();
    }

    /** The next Watch call (already started: the client calls synchronously over direct executors). */
    WatchCall nextWatch() {
        WatchCall c = watches.poll();
        if (c == null) {
            throw new AssertionError("no Watch call arrived; so far: " + allWatches);
        }
        return c;
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> out) {
        WatchCall c = new WatchCall(MEMBER.get(), request, (ServerCallStreamObserver<WatchResponse>) out);
        allWatches.add(c);
        watches.add(c);
    }

    @Override
    public synchronized void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
        registers.add(MEMBER.get());
        var hook = onRegister;
        if (hook != null) {
            hook.accept(request, out);
            return;
        }
        out.onNext(RegisterResponse.newBuilder().setInstanceId(request.getInstance().getId()).setLeaseId(nextLease++)
                .setLeaseTtlMs(request.getInstance().getLeaseTtlMs()).setRevision(nextLease).build());
        out.onCompleted();
    }

    @Override
    public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> out) {
        var hook = onDiscover;
        if (hook != null) {
            hook.accept(out);
            return;
        }
        out.onNext(DiscoverResponse.getDefaultInstance());
        out.onCompleted();
    }

    @Override
    public StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> out) {
        String member = MEMBER.get();
        return new StreamObserver<>() {
            @Override
            public void onNext(KeepAliveRequest r) {
                keepAlivesReached.add(member);
                if (keepAliveSilent || keepAliveSilentOn.contains(member)) {
                    return;
                }
                out.onNext(KeepAliveResponse.newBuilder().setLeaseId(r.getLeaseId()).setFound(leaseFound)
                        .setTtlMs(leaseFound ? 1000 : 0).build());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                out.onCompleted();
            }
        };
    }

    @Override
    public void close() {
        servers.forEach(Server::shutdownNow);
    }
}
