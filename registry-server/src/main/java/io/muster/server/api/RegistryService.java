package io.muster.server.api;

import io.muster.api.Routing;

import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.ListServicesResponse;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.SetMaintenanceResponse;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.catalog.Namespaces;
import io.muster.server.catalog.Principal;
import io.muster.server.config.Limits;
import io.muster.server.health.HealthChecker;
import io.muster.server.peer.Forwarder;
import io.muster.server.raft.RaftNode;
import io.muster.server.watch.LeaderlessException;
import io.muster.server.watch.WatchHub;
import io.muster.server.watch.WatchSink;
import io.muster.server.watch.Watcher;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
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
    private final Limits limits;
    private final CatalogSizes sizes = new CatalogSizes();
    /**
     * Request ids this member gives the writes a client sent without one (an older client, a
     * hand-made call), so that this member's own retries of them (the forwarder's) are applied once
     * too. Unique across members and restarts: a random prefix per process, then a counter.
     */
    private final String requestIdPrefix = "m" + UUID.randomUUID().toString().replace("-", "") + "-";
    private final AtomicLong requestIds = new AtomicLong();
    /** Open watches by token (ACLs on): ended with PERMISSION_DENIED when their token is deleted. */
    private final Map<Watcher, String> tokenWatches = new java.util.concurrent.ConcurrentHashMap<>();

    /** The interceptor that names each Watch call's connection and event loop for the fan-out; install it on this service. */
    public static ServerInterceptor watchConnections(ServerLoops loops) {
        return new WatchConnectionInterceptor(loops);
    }

    public RegistryService(RaftNode raft, Catalog catalog, Forwarder forwarder, WatchHub watchHub,
                           KeepAliveHandler keepAlives, Clock clock, HealthChecker healthChecks, Limits limits) {
        this.raft = raft;
        this.catalog = catalog;
        this.forwarder = forwarder;
        this.watchHub = watchHub;
        this.keepAlives = keepAlives;
        this.clock = clock;
        this.healthChecks = healthChecks;
        this.limits = limits;
        // constructed before Raft starts, so the counts see the snapshot load and every event
        catalog.addListener(sizes);
    }

    /** Over a limit: the limit's flag name, the value the call would reach and the limit. */
    static StatusRuntimeException exhausted(String limit, long value, long max) {
        return Status.RESOURCE_EXHAUSTED.withDescription(limit + ": " + value + " (limit " + max + ")").asRuntimeException();
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> observer) {
        Instance instance;
        try {
            if (!request.hasInstance()) {
                throw Validation.invalid("instance", "missing", "an instance");
            }
            int bytes = request.getInstance().getSerializedSize();
            if (bytes > limits.maxInstanceBytes()) {
                // the catalog's own hard cap (Validation) stays the upper bound of this setting
                throw exhausted("max-instance-bytes", bytes, limits.maxInstanceBytes());
            }
            instance = Validation.instance(request.getInstance());
            Validation.requestId("request_id", request.getRequestId());
            if (!Forwarder.isForwarded()) {
                // the member the client reached checks, before forwarding: the one whose plugins it knows
                knownPlugins(instance);
            }
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        // every retry (the forwarder's, the client's) keeps the request id: the catalog applies the write once
        String requestId = requestId(request.getRequestId());
        RegisterRequest normalized = RegisterRequest.newBuilder().setInstance(instance).setRequestId(requestId).build();
        forwarder.onLeader(RegistryGrpc.getRegisterMethod(), normalized, () -> proposeRegister(instance, requestId))
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    /** The client's request id, or one of this member's for a write that came without (a forwarded one keeps its own). */
    private String requestId(String given) {
        return given.isEmpty() && !Forwarder.isForwarded() ? requestIdPrefix + requestIds.incrementAndGet() : given;
    }

    /** On the leader: the registration, if the catalog has room for it. */
    private CompletableFuture<RegisterResponse> proposeRegister(Instance instance, String requestId) {
        StatusRuntimeException full = roomFor(instance);
        if (full != null) {
            return CompletableFuture.failedFuture(full);
        }
        return raft.propose(Command.newBuilder()
                        .setRegister(RegisterCmd.newBuilder().setInstance(instance).setRequestId(requestId))
                        .setNowMs(clock.millis())
                        .build())
                .thenApply(r -> RegisterResponse.newBuilder()
                        .setRevision(r.revision())
                        .setInstanceId(r.instance().getId())
                        .setLeaseId(r.instance().getLeaseId())
                        .setLeaseTtlMs(r.instance().getLeaseTtlMs())
                        .setUpdated(r.existed())
                        .build());
    }

    private void knownPlugins(Instance instance) {
        for (int i = 0; i < instance.getChecksCount(); i++) {
            HealthCheck c = instance.getChecks(i);
            if (c.getKindCase() == HealthCheck.KindCase.CUSTOM && !healthChecks.pluginTypes().contains(c.getCustom().getType())) {
                Set<String> known = healthChecks.pluginTypes();
                throw Validation.invalid("instance.checks[" + i + "].custom.type", "'" + c.getCustom().getType() + "'",
                        known.isEmpty() ? "a health check plugin type; this member has no plugins"
                                : "a health check plugin type of this member: " + String.join(", ", known));
            }
        }
    }

    /**
     * On the leader, before proposing: null if the catalog has room for {@code instance}, else the
     * error. An update of an existing instance always has room. The limits are this member's
     * configuration, so they are checked here and never in the state machine (replicas configured
     * differently would diverge). The counts are the applied catalog's: new instances proposed but
     * not yet applied are not counted, so the catalog can exceed a limit by at most the proposals in
     * flight (the proposal queue's bound plus the entries being committed).
     */
    private StatusRuntimeException roomFor(Instance instance) {
        if (catalog.read(v -> v.instance(InstanceKey.of(instance)) != null)) {
            return null;
        }
        int inService = sizes.instances(instance.getNamespace(), instance.getService());
        if (inService >= limits.maxInstancesPerService()) {
            return exhausted("max-instances-per-service", inService + 1, limits.maxInstancesPerService());
        }
        int total = sizes.instances();
        if (total >= limits.maxInstances()) {
            return exhausted("max-instances", total + 1, limits.maxInstances());
        }
        return null;
    }

    @Override
    public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> observer) {
        String namespace;
        try {
            Validation.service("service", request.getService());
            namespace = Validation.namespace("namespace", request.getNamespace());
            Validation.instanceId("instance_id", request.getInstanceId());
            Validation.requestId("request_id", request.getRequestId());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        DeregisterRequest named = request.toBuilder().setNamespace(namespace).setRequestId(requestId(request.getRequestId())).build();
        forwarder.onLeader(RegistryGrpc.getDeregisterMethod(), named, () -> raft.propose(Command.newBuilder()
                        .setDeregister(DeregisterCmd.newBuilder().setNamespace(named.getNamespace()).setService(named.getService())
                                .setInstanceId(named.getInstanceId()).setRequestId(named.getRequestId()))
                        .setNowMs(clock.millis())
                        .build())
                .thenApply(r -> DeregisterResponse.newBuilder().setRevision(r.revision()).setFound(r.existed()).build()))
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    @Override
    public void setMaintenance(SetMaintenanceRequest request, StreamObserver<SetMaintenanceResponse> observer) {
        SetMaintenanceRequest normalized;
        try {
            Validation.service("service", request.getService());
            String namespace = Validation.namespace("namespace", request.getNamespace());
            Validation.instanceId("instance_id", request.getInstanceId());
            Validation.maintenanceReason("reason", request.getReason());
            Validation.requestId("request_id", request.getRequestId());
            // back in service has no reason: the flag and its reason go together; every retry (the
            // forwarder's, the client's) keeps the request id: the catalog applies the change once
            SetMaintenanceRequest.Builder b = request.toBuilder().setNamespace(namespace).setRequestId(requestId(request.getRequestId()));
            normalized = request.getEnabled() ? b.build() : b.clearReason().build();
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        forwarder.onLeader(RegistryGrpc.getSetMaintenanceMethod(), normalized, () -> raft.propose(Command.newBuilder()
                        .setSetMaintenance(SetMaintenanceCmd.newBuilder()
                                .setNamespace(normalized.getNamespace())
                                .setService(normalized.getService())
                                .setInstanceId(normalized.getInstanceId())
                                .setEnabled(normalized.getEnabled())
                                .setReason(normalized.getReason())
                                .setRequestId(normalized.getRequestId()))
                        .setNowMs(clock.millis())
                        .build())
                .thenApply(r -> SetMaintenanceResponse.newBuilder()
                        .setRevision(r.revision()).setChanged(r.changed()).setInstance(r.instance()).build()))
                .whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }

    @Override
    public StreamObserver<io.muster.api.v1.KeepAliveRequest> keepAlive(StreamObserver<io.muster.api.v1.KeepAliveResponse> observer) {
        return keepAlives.open((ServerCallStreamObserver<io.muster.api.v1.KeepAliveResponse>) observer);
    }

    @Override
    public void updateHealth(UpdateHealthRequest given, StreamObserver<UpdateHealthResponse> observer) {
        UpdateHealthRequest request;
        try {
            Validation.service("service", given.getService());
            request = given.toBuilder().setNamespace(Validation.namespace("namespace", given.getNamespace())).build();
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
        String namespace;
        try {
            Validation.service("service", request.getService());
            namespace = Validation.namespace("namespace", request.getNamespace());
            // filters are matched against every instance of the service: at most what an instance holds
            if (request.getTagsCount() > Validation.MAX_TAGS) {
                throw Validation.invalid("tags", request.getTagsCount() + " tags", "at most " + Validation.MAX_TAGS);
            }
            if (request.getMetadataCount() > Validation.MAX_METADATA) {
                throw Validation.invalid("metadata", request.getMetadataCount() + " entries", "at most " + Validation.MAX_METADATA);
            }
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
            for (Instance i : view.instances(namespace, request.getService())) {
                if (matches(request, i)) {
                    b.addInstances(i);
                }
            }
            return b.build();
        }).whenComplete((resp, err) -> GrpcErrors.complete(observer, resp, err));
    }


    private static boolean matches(DiscoverRequest r, Instance i) {
        if (r.getHealthyOnly() && !Routing.isRoutable(i)) {
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
        Principal principal = AclInterceptor.principal();
        String namespace;
        try {
            namespace = Validation.namespaceOrAll("namespace", request.getNamespace());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        read(request.getConsistency(), view -> {
            ListServicesResponse.Builder b = ListServicesResponse.newBuilder().setRevision(view.revision());
            for (String ns : namespace.equals(Namespaces.ALL) ? view.namespaces() : List.of(namespace)) {
                for (Map.Entry<String, Collection<Instance>> e : view.services(ns).entrySet()) {
                    if (principal != null && !principal.canRead(ns, e.getKey())) {
                        continue; // a token sees only the services it may read
                    }
                    int healthy = (int) e.getValue().stream().filter(Routing::isRoutable).count();
                    b.addServices(ServiceSummary.newBuilder().setNamespace(ns).setName(e.getKey())
                            .setInstances(e.getValue().size()).setHealthy(healthy));
                }
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
        String namespace;
        long progressMs;
        try {
            if (request.getServicesCount() > limits.maxWatchServices()) {
                throw exhausted("max-watch-services", request.getServicesCount(), limits.maxWatchServices());
            }
            namespace = Validation.namespaceOrAll("namespace", request.getNamespace());
            if (namespace.equals(Namespaces.ALL) && request.getServicesCount() > 0) {
                throw Validation.invalid("services", request.getServicesCount() + " services",
                        "none with namespace \"*\" (a watch of every namespace watches every service)");
            }
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
        // Null elsewhere (e.g. the in-process transport), and then it drains on the watch executor
        Executor loop = WatchConnectionInterceptor.LOOP.get();
        Object connection = WatchConnectionInterceptor.CONNECTION.get();
        Principal principal = AclInterceptor.principal();
        String accessor = principal == null ? null : principal.accessorId();
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
                tokenWatches.remove(w);
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
                WatchResponse readable = accessor == null ? response : readable(response, accessor);
                if (readable != null) {
                    observer.onNext(readable);
                }
            }

            @Override
            public void complete() {
                untrack();
                observer.onCompleted();
            }

            @Override
            public void unavailable(String description) {
                untrack();
                observer.onError(Status.UNAVAILABLE.withDescription(description).asRuntimeException());
            }

            @Override
            public void denied(String description) {
                untrack();
                observer.onError(Status.PERMISSION_DENIED.withDescription(description).asRuntimeException());
            }

            private void untrack() {
                Watcher w = holder[0];
                if (w != null) {
                    tokenWatches.remove(w);
                }
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
            holder[0] = watchHub.open(namespace, services, request.getStartRevision(), progressMs, !request.getAllowLeaderless(), sink);
            if (accessor != null) {
                tokenWatches.put(holder[0], accessor);
                if (catalog.acl().principal(accessor) == null) {
                    // deleted between the check and now: the ACL change has already passed this stream
                    holder[0].endDenied(AclInterceptor.revoked(accessor).getDescription());
                }
            }
            if (observer.isCancelled()) {
                tokenWatches.remove(holder[0]);
                holder[0].close();
            }
        } catch (LeaderlessException e) {
            observer.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
        } catch (IllegalStateException e) {
            observer.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    /**
     * On the apply thread after an ACL change: the watches of deleted tokens end with
     * PERMISSION_DENIED, serialized with their messages (on their event loop). Never blocks.
     */
    public void aclChanged() {
        var acl = catalog.acl();
        tokenWatches.forEach((w, accessor) -> {
            if (acl.principal(accessor) == null && tokenWatches.remove(w) != null) {
                w.endDenied(AclInterceptor.revoked(accessor).getDescription());
            }
        });
    }

    /**
     * What a restricted token may see of {@code response}: events and snapshot instances of the
     * services it may read, under the token's current rules. A page of events left empty becomes a
     * PROGRESS message at its revision, so the client's resume position still moves; null once the
     * token is deleted (the stream is ending).
     */
    private WatchResponse readable(WatchResponse response, String accessor) {
        Principal p = catalog.acl().principal(accessor);
        if (p == null) {
            return null;
        }
        if (p.readsEverything()) {
            return response;
        }
        switch (response.getKind()) {
            case EVENTS -> {
                WatchResponse.Builder b = response.toBuilder().clearEvents();
                response.getEventsList().forEach(e -> {
                    if (p.canRead(e.getInstance().getNamespace(), e.getInstance().getService())) {
                        b.addEvents(e);
                    }
                });
                if (b.getEventsCount() == 0) {
                    return WatchResponse.newBuilder().setKind(WatchResponse.Kind.PROGRESS).setRevision(response.getRevision()).build();
                }
                return b.getEventsCount() == response.getEventsCount() ? response : b.build();
            }
            case SNAPSHOT -> {
                WatchResponse.Builder b = response.toBuilder().clearInstances();
                response.getInstancesList().forEach(i -> {
                    if (p.canRead(i.getNamespace(), i.getService())) {
                        b.addInstances(i);
                    }
                });
                return b.getInstancesCount() == response.getInstancesCount() ? response : b.build();
            }
            default -> {
                return response;
            }
        }
    }
}
