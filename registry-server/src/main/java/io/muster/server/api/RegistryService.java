package io.muster.server.api;

import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.ListServicesResponse;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.server.health.HealthChecker;
import io.muster.server.peer.Forwarder;
import io.muster.server.raft.RaftNode;
import io.muster.server.watch.WatchHub;
import io.muster.server.watch.WatchSink;
import io.muster.server.watch.Watcher;
import io.netty.util.internal.ThreadExecutorMap;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/** The public {@code muster.v1.Registry} service. Any member serves any call. */
public final class RegistryService extends RegistryGrpc.RegistryImplBase {

    private final RaftNode raft;
    private final Catalog catalog;
    private final Forwarder forwarder;
    private final WatchHub watchHub;
    private final KeepAliveHandler keepAlives;
    private final Clock clock;
    private final HealthChecker healthChecks;

    /** The interceptor that names each Watch call's connection for the fan-out; install it on this service. */
    public static ServerInterceptor watchConnections() {
        return new WatchConnectionInterceptor();
    }

    public RegistryService(RaftNode raft, Catalog catalog, Forwarder forwarder, WatchHub watchHub,
                           KeepAliveHandler keepAlives, Clock clock, HealthChecker healthChecks) {
        this.raft = raft;
        this.catalog = catalog;
        this.forwarder = forwarder;
        this.watchHub = watchHub;
        this.keepAlives = keepAlives;
        this.clock = clock;
        this.healthChecks = healthChecks;
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> observer) {
        Instance instance;
        try {
            if (!request.hasInstance()) {
                throw Validation.invalid("instance", "missing", "an instance");
            }
            instance = Validation.instance(request.getInstance());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        RegisterRequest normalized = RegisterRequest.newBuilder().setInstance(instance).build();
        forwarder.onLeader(RegistryGrpc.getRegisterMethod(), normalized, () -> raft.propose(Command.newBuilder()
                        .setRegister(RegisterCmd.newBuilder().setInstance(instance))
                        .setNowMs(clock.millis())
                        .build())
                .thenApply(r -> RegisterResponse.newBuilder()
                        .setRevision(r.revision())
                        .setInstanceId(r.instance().getId())
                        .setLeaseId(r.instance().getLeaseId())
                        .setLeaseTtlMs(r.instance().getLeaseTtlMs())
                        .setUpdated(r.existed())
                        .build()))
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    @Override
    public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> observer) {
        try {
            Validation.service("service", request.getService());
            Validation.instanceId("instance_id", request.getInstanceId());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        forwarder.onLeader(RegistryGrpc.getDeregisterMethod(), request, () -> raft.propose(Command.newBuilder()
                        .setDeregister(DeregisterCmd.newBuilder().setService(request.getService()).setInstanceId(request.getInstanceId()))
                        .setNowMs(clock.millis())
                        .build())
                .thenApply(r -> DeregisterResponse.newBuilder().setRevision(r.revision()).setFound(r.changed()).build()))
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    @Override
    public StreamObserver<io.muster.api.v1.KeepAliveRequest> keepAlive(StreamObserver<io.muster.api.v1.KeepAliveResponse> observer) {
        return keepAlives.open((ServerCallStreamObserver<io.muster.api.v1.KeepAliveResponse>) observer);
    }

    @Override
    public void updateHealth(UpdateHealthRequest request, StreamObserver<UpdateHealthResponse> observer) {
        try {
            Validation.service("service", request.getService());
            Validation.instanceId("instance_id", request.getInstanceId());
            if (!request.hasReport()) {
                throw Validation.invalid("report", "missing", "a report with a result (PASS, WARN or FAIL)");
            }
            Validation.report("report", request.getReport());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        // served by the member that runs the instance's checks; this member forwards it there once
        boolean forwarded = Forwarder.isForwarded();
        healthChecks.updateHealth(request, forwarded)
                .exceptionallyCompose(err -> {
                    if (GrpcErrors.toStatus(err).getStatus().getCode() != Status.Code.NOT_FOUND) {
                        return CompletableFuture.failedFuture(err);
                    }
                    // perhaps registered through another member and not applied here yet: catch up once
                    return forwarder.retrying("read index", true, raft::readBarrier)
                            .thenCompose(v -> healthChecks.updateHealth(request, forwarded));
                })
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    @Override
    public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> observer) {
        try {
            Validation.service("service", request.getService());
            for (int i = 0; i < request.getTagsCount(); i++) {
                if (request.getTags(i).isEmpty()) {
                    throw Validation.invalid("tags[" + i + "]", "''", "a non-empty tag");
                }
            }
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        read(request.getConsistency(), view -> {
            DiscoverResponse.Builder b = DiscoverResponse.newBuilder().setRevision(view.revision());
            for (Instance i : view.instances(request.getService())) {
                if (matches(request, i)) {
                    b.addInstances(i);
                }
            }
            return b.build();
        }).whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    static boolean routable(HealthStatus h) {
        return h == HealthStatus.HEALTHY || h == HealthStatus.WARNING;
    }

    private static boolean matches(DiscoverRequest r, Instance i) {
        if (r.getHealthyOnly() && !routable(i.getHealth())) {
            return false;
        }
        if (!r.getZone().isEmpty() && !r.getZone().equals(i.getZone())) {
            return false;
        }
        if (!i.getTagsList().containsAll(r.getTagsList())) {
            return false;
        }
        for (Map.Entry<String, String> e : r.getMetadataMap().entrySet()) {
            if (!e.getValue().equals(i.getMetadataMap().get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void listServices(ListServicesRequest request, StreamObserver<ListServicesResponse> observer) {
        read(request.getConsistency(), view -> {
            ListServicesResponse.Builder b = ListServicesResponse.newBuilder().setRevision(view.revision());
            for (Map.Entry<String, Collection<Instance>> e : view.services().entrySet()) {
                int healthy = (int) e.getValue().stream().filter(i -> routable(i.getHealth())).count();
                b.addServices(ServiceSummary.newBuilder().setName(e.getKey()).setInstances(e.getValue().size()).setHealthy(healthy));
            }
            return b.build();
        }).whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    private <T> CompletableFuture<T> read(Consistency consistency, Function<Catalog.View, T> reader) {
        if (consistency == Consistency.LOCAL) {
            try {
                return CompletableFuture.completedFuture(catalog.read(reader));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (consistency != Consistency.LINEARIZABLE) {
            return CompletableFuture.failedFuture(Validation.invalid("consistency", consistency, "LINEARIZABLE or LOCAL"));
        }
        // ReadIndex: never pushed through the log, retried while there is no leader
        return forwarder.retrying("read index", true, raft::readBarrier).thenApply(v -> catalog.read(reader));
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> responseObserver) {
        ServerCallStreamObserver<WatchResponse> observer = (ServerCallStreamObserver<WatchResponse>) responseObserver;
        Set<String> services = new LinkedHashSet<>();
        long progressMs;
        try {
            for (int i = 0; i < request.getServicesCount(); i++) {
                services.add(Validation.service("services[" + i + "]", request.getServices(i)));
            }
            Validation.startRevision(request.getStartRevision());
            progressMs = Validation.progressIntervalMs(request.getProgressIntervalMs());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        // handlers run on the connection's event loop (directExecutor): the watcher drains there too.
        // Netty's (public, "internal"-package) map from thread to event loop; null elsewhere (e.g.
        // the in-process transport), and then the watcher drains on the watch executor
        Executor loop = ThreadExecutorMap.currentExecutor();
        Object connection = WatchConnectionInterceptor.CONNECTION.get();
        Watcher[] holder = new Watcher[1];
        observer.setOnReadyHandler(() -> {
            Watcher w = holder[0];
            if (w != null) {
                w.wake();
            }
        });
        observer.setOnCancelHandler(() -> {
            Watcher w = holder[0];
            if (w != null) {
                w.close();
            }
        });
        WatchSink sink = new WatchSink() {
            @Override
            public boolean isReady() {
                return observer.isReady() && !observer.isCancelled();
            }

            @Override
            public void send(WatchResponse response) {
                observer.onNext(response);
            }

            @Override
            public void complete() {
                observer.onCompleted();
            }

            @Override
            public Executor executor() {
                return loop;
            }

            @Override
            public Object connection() {
                return connection;
            }
        };
        try {
            holder[0] = watchHub.open(services, request.getStartRevision(), progressMs, sink);
            if (observer.isCancelled()) {
                holder[0].close();
            }
        } catch (IllegalStateException e) {
            observer.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        }
    }
}
