package io.muster.server;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.api.AclBootstrap;
import io.muster.server.api.AclService;
import io.muster.server.api.ClusterService;
import io.muster.server.api.InternalService;
import io.muster.server.api.KeepAliveHandler;
import io.muster.server.api.LeaderHintInterceptor;
import io.muster.server.api.RegistryService;
import io.muster.server.api.RequestParsing;
import io.muster.server.api.ServerLimits;
import io.muster.server.api.ServerLoops;
import io.muster.server.api.ServerTls;
import io.muster.server.api.SharedWatchResponses;
import io.muster.server.catalog.Catalog;
import io.muster.server.config.HostPort;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import io.muster.server.health.HealthChecker;
import io.muster.server.health.HealthRuntime;
import io.muster.server.health.probe.Plugins;
import io.muster.server.health.probe.Probers;
import io.muster.server.http.HttpApiServer;
import io.muster.server.lease.LeaseManager;
import io.muster.server.metrics.JvmMetrics;
import io.muster.server.metrics.MetricsInterceptor;
import io.muster.server.metrics.MetricsServer;
import io.muster.server.metrics.NodeMetrics;
import io.muster.server.metrics.Readiness;
import io.muster.server.peer.ForwardedInterceptor;
import io.muster.server.peer.Forwarder;
import io.muster.server.peer.ForwardedBatches;
import io.muster.internal.v1.InternalGrpc;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.muster.server.peer.PeerChannels;
import io.muster.server.peer.PeerDirectory;
import io.muster.server.peer.PeerServer;
import io.muster.server.tls.PeerTls;
import io.muster.server.config.PeerTlsFiles;
import io.netty.handler.ssl.SslContext;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.muster.server.raft.LeaderPresence;
import io.muster.server.raft.LeadershipListener;
import io.muster.server.raft.PeerReachability;
import io.muster.server.raft.RaftNode;
import io.muster.server.watch.WatchHub;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registry member: a Raft node with its RocksDB log, the in-memory catalog, leases, watches and
 * the gRPC server. {@link #start} returns once the gRPC port is bound and Raft is running.
 */
public final class RegistryNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryNode.class);

    private final NodeConfig config;
    private final Clock clock = Clock.systemUTC();
    private final Catalog catalog = new Catalog();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService watchExecutor;
    private final ExecutorService snapshotExecutor;
    private final ExecutorService grpcExecutor;
    private final ServerLoops serverLoops;
    private final WatchHub watchHub;
    private final RaftNode raft;
    private final LeaseManager leases;
    private final PeerDirectory directory;
    private final PeerChannels peerChannels;
    private final Forwarder forwarder;
    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;
    private ServerTls publicTls;
    private Server httpInProcess;
    private ManagedChannel httpChannel;
    private HttpApiServer httpApi;
    private PeerServer peerServer;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private MetricsServer metricsServer;
    private JvmMetrics jvmMetrics;
    private volatile boolean serving;
    private io.muster.api.v1.CatalogSnapshot restore;
    private InternalService internal;
    private HealthRuntime healthRuntime;
    private Probers probers;
    private HealthChecker healthChecks;
    private volatile boolean closed;
    // mutual TLS of the peer listener, the peer channels and Raft; null = plaintext
    private final PeerTls peerTls;
    // how often the peer TLS files are read for a rotation (a few small files)
    private static final long PEER_TLS_RELOAD_SECONDS = 5;

    private RegistryNode(NodeConfig config, PeerTls peerTls) {
        this.config = config;
        this.peerTls = peerTls;
        String id = config.self().id();
        // before the first meter (the pools below register theirs): a filter added later misses them
        meters.config().commonTags("node", id);
        this.scheduler = new ScheduledThreadPoolExecutor(2, new DefaultThreadFactory("muster-" + id + "-sched", true));
        int watchThreads = 2;
        this.watchExecutor = new ThreadPoolExecutor(watchThreads, watchThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(config.limits().maxWatchers() + 1024), new DefaultThreadFactory("muster-" + id + "-watch", true));
        this.snapshotExecutor = NodePools.snapshot(id, meters);
        this.grpcExecutor = NodePools.grpc(id, meters);
        this.serverLoops = new ServerLoops("muster-" + id + "-grpc-loop");
        this.watchHub = new WatchHub(catalog, config.historySize(), watchExecutor, watchThreads, scheduler, System::nanoTime, id, config.limits().maxWatchers());
        catalog.addListener(watchHub);
        this.raft = new RaftNode(new RaftNode.Options(config.self().raftAddress(),
                config.peers().stream().map(PeerSpec::raftAddress).toList(), config.dataDir().resolve("raft"),
                config.electionTimeoutMs(), config.snapshotIntervalSecs(), config.syncLog(), peerTls,
                // read when a Raft connection opens, by then the directory is there
                peerTls == null ? null : this::memberAtRaftAddress), catalog, snapshotExecutor,
                this::proposalCompleter);
        this.leases = new LeaseManager(raft::propose, scheduler, System::nanoTime, clock, 100);
        catalog.addListener(leases);
        raft.addLeadershipListener(leases);
        // a member cut off from the leader ends its watches rather than serve a state that stopped moving
        LeaderPresence presence = new LeaderPresence(System::nanoTime);
        raft.addLeadershipListener(presence);
        watchHub.requireLeader(presence::leaderlessNanos, TimeUnit.MILLISECONDS.toNanos(config.electionTimeoutMs()));
        this.directory = new PeerDirectory(catalog, config.peers());
        this.peerChannels = new PeerChannels(id, directory, grpcExecutor, peerTls == null ? null : peerTls::grpcClientContext,
                peerDialRoutes(config));
        DistributionSummary forwardBatches = DistributionSummary.builder("muster.forward.batch.size")
                .description("writes per batch this member forwarded to the leader")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512).register(meters);
        this.forwarder = new Forwarder(raft, peerChannels, scheduler, forwardBatches::record);
        Gauge.builder("muster.forward.queued", forwarder, Forwarder::forwardQueued)
                .description("writes waiting on this member to be forwarded to the leader in a batch").register(meters);
        raft.addLeadershipListener(new LeadershipListener() {
            @Override
            public void onLeaderStart(long term) {
                scheduler.execute(RegistryNode.this::reconcileDirectory);
                scheduler.execute(RegistryNode.this::restoreIfEmpty);
            }

            @Override
            public void onLeaderStop() {
            }
        });
    }

    /**
     * Where a proposal's future completes: a proposal made on one of the servers' event loops (a gRPC
     * handler, all of which run there) completes on that loop, so its response is written in place;
     * one task per loop and log entry instead of a hand-off to the pool and another back to the loop
     * per call. Anything else completes on the gRPC pool.
     */
    private Executor proposalCompleter() {
        EventExecutor loop = serverLoops.current();
        return loop != null ? loop : grpcExecutor;
    }

    /** Whose Raft port is at {@code host:port}: a Raft connection there must present that member's identity. */
    private Optional<String> memberAtRaftAddress(String host, int port) {
        return directory.idAtRaftAddress(host, port);
    }

    /** Starts a node and returns once its gRPC server is bound and its Raft node is running. */
    public static RegistryNode start(NodeConfig config) throws IOException {
        PeerTls peerTls = null;
        if (config.peerTls() != null) {
            PeerTlsFiles f = config.peerTls();
            try {
                peerTls = PeerTls.load(f.certificate(), f.key(), f.ca());
            } catch (IOException e) {
                // the files are unusable as given (the message names the flag and the file): bad input
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        RegistryNode node = new RegistryNode(config, peerTls);
        if (config.restoreFrom() != null) {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(config.restoreFrom())) {
                node.restore = io.muster.api.v1.CatalogSnapshot.parseFrom(in);
            } catch (IOException e) {
                node.close();
                throw new IOException("restore: cannot read backup " + config.restoreFrom() + ": " + e.getMessage(), e);
            }
        }
        try {
            node.startServices();
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private void startServices() throws IOException {
        String id = config.self().id();
        // registered before Raft starts, so it sees the snapshot load and every applied entry
        HealthChecker.Options healthOptions = HealthChecker.Options.defaults(id, config.healthThreads());
        healthRuntime = NodePools.health(id, healthOptions, clock, meters);
        probers = new Probers("muster-" + id + "-health", healthRuntime, Plugins.load(RegistryNode.class.getClassLoader()));
        healthChecks = new HealthChecker(healthOptions, healthRuntime, probers, catalog,
                command -> internal.propose(command), this::healthMembers, peerChannels);
        catalog.addListener(healthChecks);
        KeepAliveHandler keepAlives = new KeepAliveHandler(id, leases, forwarder, healthChecks::acceptKeepAlive, scheduler, catalog);
        raft.addLeadershipListener(keepAlives);
        RegistryService registry = new RegistryService(raft, catalog, forwarder, watchHub, keepAlives, clock, healthChecks, config.limits());
        AclService acl = new AclService(raft, catalog, forwarder, clock, new SecureRandom());
        // revocation: the streams of a deleted token end with the apply of the deletion, on every member
        catalog.addAclListener(() -> {
            registry.aclChanged();
            keepAlives.aclChanged();
        });
        if (config.aclEnabled()) {
            raft.addLeadershipListener(new AclBootstrap(catalog, acl, config.bootstrapTokenFile(), scheduler));
        }
        // innermost on each public service: the checks run right before the handler, after the
        // forwarded-by header is stripped and the call is counted
        List<ServerInterceptor> aclCheck = config.aclEnabled() ? List.of(AclService.interceptor(catalog)) : List.of();
        ClusterService cluster = new ClusterService(id, raft, catalog, directory, forwarder, clock, peerChannels, grpcExecutor);
        internal = new InternalService(raft, forwarder, catalog);
        HostPort publicAddress = HostPort.parse("grpc address of " + id, config.self().grpcAddress());
        InetSocketAddress bind = publicAddress.socketAddress();
        // the public port: clients only; a forwarded-by header from a client means nothing here
        ServerInterceptor forwarded = ForwardedInterceptor.stripping();
        MetricsInterceptor metered = new MetricsInterceptor(meters);
        NodeMetrics.bind(meters, raft, catalog, watchHub, leases);
        NodeMetrics.bindHealth(meters, healthChecks);
        jvmMetrics = JvmMetrics.bind(meters);
        Readiness readiness = observe();
        // the peer listener first: members that are already up probe it and forward to it
        ForwardedBatches batches = new ForwardedBatches()
                .route(RegistryGrpc.getRegisterMethod(), registry::register)
                .route(RegistryGrpc.getDeregisterMethod(), registry::deregister)
                .route(InternalGrpc.getProposeMethod(), internal::propose);
        peerServer = PeerServer.start(HostPort.parse("peer address of " + id, config.self().peerAddress()), List.of(internal, batches),
                List.of(SharedWatchResponses.bind(registry), cluster.bindService(), acl.bindService()), FORWARDED_METHODS,
                health.getHealthService(), List.of(metered),
                b -> ServerLimits.transport(serverLoops.applyTo(b), config.limits()), RequestParsing::bind,
                peerTls == null ? null : peerTls.grpcServerContext());
        if (peerTls != null) {
            PeerTls t = peerTls;
            FunctionCounter.builder("muster.peer.tls.reloads", t, PeerTls::reloads)
                    .description("New peer TLS material (certificate, key, CA) applied without a restart").register(meters);
            FunctionCounter.builder("muster.peer.tls.reload.failures", t, PeerTls::reloadFailures)
                    .description("Peer TLS files found changed but unreadable or inconsistent (the current material stays)").register(meters);
            Gauge.builder("muster.peer.tls.certificate.not.after.seconds", t, x -> x.certificate().getNotAfter().getTime() / 1000.0)
                    .description("Expiry of the member certificate presented to other members, Unix seconds").register(meters);
            // rotation without restart: new files apply to the next handshake of both transports
            scheduler.scheduleWithFixedDelay(peerTls::reloadIfChanged, PEER_TLS_RELOAD_SECONDS, PEER_TLS_RELOAD_SECONDS, TimeUnit.SECONDS);
        }
        // the public API as served: every interceptor that decides what a client may do or sees goes
        // here (the token check innermost), so the public port and the HTTP API (which calls these
        // same definitions in process) apply it alike
        List<ServerServiceDefinition> publicApi = List.of(
                RequestParsing.bind(ServerInterceptors.intercept(ServerInterceptors.intercept(
                        SharedWatchResponses.bind(registry), aclCheck), forwarded, metered,
                        new LeaderHintInterceptor(forwarder), RegistryService.watchConnections(serverLoops))),
                RequestParsing.bind(ServerInterceptors.intercept(ServerInterceptors.intercept(cluster.bindService(), aclCheck),
                        forwarded, metered)),
                RequestParsing.bind(ServerInterceptors.intercept(ServerInterceptors.intercept(acl.bindService(), aclCheck),
                        forwarded, metered)));
        NettyServerBuilder publicPort = NettyServerBuilder.forAddress(bind);
        if (config.tls() != null) {
            publicTls = ServerTls.start(id, config.tls(), ServerTls.provider(), scheduler);
            publicPort.sslContext(publicTls.context());
        }
        NettyServerBuilder publicServer = ServerLimits.apply(serverLoops.applyTo(publicPort), config.limits(), meters)
                // every handler is asynchronous (Raft proposals, ReadIndex and forwarding complete
                // futures; nothing waits), so calls run on the Netty event loops: a hand-off to a pool
                // thread per call cost more CPU here than the handlers themselves
                .directExecutor();
        publicApi.forEach(publicServer::addService);
        server = publicServer
                .addService(RequestParsing.bind(health.getHealthService()))
                .addService(RequestParsing.bind(ProtoReflectionServiceV1.newInstance()))
                .build()
                .start();
        if (config.httpPort() > 0) {
            startHttpApi(bind.getHostString(), publicApi);
        }
        raft.start();
        if (config.metricsPort() >= 0) {
            metricsServer = new MetricsServer(bind.getHostString(), config.metricsPort(), meters, readiness,
                    publicTls == null ? null : publicTls.metricsContext());
        }
        serving = true;
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(RegistryGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);
        log.info("registry node {} serving gRPC{} on {}, peers on {} (raft {})", id, publicTls == null ? "" : " (TLS)", bind, peerServer.address(), config.self().raftAddress());
    }

    /**
     * The HTTP/JSON API: a transcoder onto {@code publicApi}, reached through an in-process server of
     * its own. The per-connection stream caps of the public port ({@code ServerLimits}) are not
     * applied there: every HTTP client shares the one in-process connection, so they would cap the
     * member's HTTP watches together; {@code max-watchers} still bounds them.
     */
    private void startHttpApi(String host, List<ServerServiceDefinition> publicApi) throws IOException {
        String name = "muster-" + config.self().id() + "-http-" + System.identityHashCode(this);
        InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
        publicApi.forEach(b::addService);
        httpInProcess = b.build().start();
        httpChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
        httpChannel.getState(true); // connected before the first request
        httpApi = HttpApiServer.start(config.self().id(), HttpApiServer.Options.defaults(host, config.httpPort()), httpChannel,
                publicTls == null ? null : publicTls.httpContext());
        log.info("registry node {} serving the HTTP API{} on {}:{}", config.self().id(), publicTls == null ? "" : " (HTTPS)", host, httpApi.port());
    }

    /**
     * Readiness ({@code /readyz}) and the leader's view of its peers ({@code muster_peer_reachable}),
     * both sampled twice per election timeout on the member's scheduler.
     */
    private Readiness observe() {
        Readiness readiness = new Readiness(() -> new Readiness.Signals(serving, raft.isStarted(), raft.isStopped(),
                raft.leaderRaftAddress(), raft.committedIndex(), raft.appliedIndex()), System::nanoTime,
                Duration.ofMillis(config.electionTimeoutMs()), READY_APPLY_LAG);
        Map<String, String> names = new java.util.HashMap<>();
        config.peers().forEach(p -> names.put(p.raftAddress(), p.id()));
        PeerReachability peers = new PeerReachability(config.self().raftAddress(), a -> names.getOrDefault(a, a), System::nanoTime,
                Duration.ofSeconds(60), 2);
        Map<String, String> others = new java.util.HashMap<>(names);
        others.remove(config.self().raftAddress());
        NodeMetrics.bindPeers(meters, peers, others);
        long every = Math.max(50, config.electionTimeoutMs() / 2);
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                readiness.sample();
                peers.sample(raft);
            } catch (RuntimeException e) {
                log.warn("readiness / peer reachability sample failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        return readiness;
    }

    /** The dial routes of peer addresses (fault-injection tests); Raft addresses are routed process-wide by {@code Main}. */
    private static Map<HostPort, HostPort> peerDialRoutes(NodeConfig config) {
        Map<HostPort, HostPort> routes = new java.util.HashMap<>();
        config.dialRoutes().forEach((from, to) -> routes.put(HostPort.parse("dial route", from), HostPort.parse("dial route " + from, to)));
        return routes;
    }

    /** Committed entries not applied yet that still count as caught up: a few group-commit entries in flight. */
    private static final long READY_APPLY_LAG = 16;

    /**
     * What followers forward to the leader's (or a check owner's) peer listener, and {@code Status},
     * which a member asks the others for its {@code Members with_status}; nothing else is served there.
     */
    private static final Set<String> FORWARDED_METHODS = Set.of(
            RegistryGrpc.getRegisterMethod().getFullMethodName(),
            RegistryGrpc.getDeregisterMethod().getFullMethodName(),
            RegistryGrpc.getKeepAliveMethod().getFullMethodName(),
            RegistryGrpc.getUpdateHealthMethod().getFullMethodName(),
            RegistryGrpc.getSetMaintenanceMethod().getFullMethodName(),
            ClusterGrpc.getMembersMethod().getFullMethodName(),
            // not forwarded: a member asks another for its own status (Members with_status)
            ClusterGrpc.getStatusMethod().getFullMethodName(),
            ClusterGrpc.getTransferLeadershipMethod().getFullMethodName(),
            ClusterGrpc.getAddMemberMethod().getFullMethodName(),
            ClusterGrpc.getRemoveMemberMethod().getFullMethodName(),
            AclGrpc.getBootstrapMethod().getFullMethodName(),
            AclGrpc.getCreateTokenMethod().getFullMethodName(),
            AclGrpc.getDeleteTokenMethod().getFullMethodName(),
            AclGrpc.getCreatePolicyMethod().getFullMethodName(),
            AclGrpc.getUpdatePolicyMethod().getFullMethodName(),
            AclGrpc.getDeletePolicyMethod().getFullMethodName());

    /**
     * Members that share the health checks: the replicated member directory, which the leader keeps
     * in step with the Raft configuration (jraft lists the configuration only on the leader), or the
     * configured peers before a first leader has published them.
     */
    private Collection<Member> healthMembers() {
        List<Member> replicated = catalog.read(Catalog.View::members);
        return replicated.isEmpty() ? directory.all().values() : replicated;
    }

    /** On the first leadership of an empty cluster, loads the backup given with --restore. */
    private void restoreIfEmpty() {
        if (restore == null || catalog.revision() != 0) {
            return;
        }
        log.info("restoring backup at revision {} ({} instances) into the empty cluster", restore.getRevision(), restore.getInstancesCount());
        raft.propose(Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(restore)).setNowMs(clock.millis()).build())
                .whenComplete((r, e) -> {
                    if (e != null) {
                        log.warn("restore not committed: {}", e.toString());
                    } else if (r.changed()) {
                        log.info("restored backup: catalog at revision {}", r.revision());
                    } else {
                        log.info("cluster not empty: backup not restored");
                    }
                });
    }

    /**
     * Keeps the replicated member directory in step with the Raft configuration (only the leader
     * knows the configuration): configured peers that are members get an entry, entries of members
     * no longer in the configuration are dropped.
     */
    private void reconcileDirectory() {
        List<String> peers;
        try {
            peers = raft.peers();
        } catch (RuntimeException e) {
            return; // not the leader any more
        }
        Map<String, Member> replicated = new java.util.HashMap<>();
        catalog.read(v -> v.members()).forEach(m -> replicated.put(m.getId(), m));
        List<Command> commands = new java.util.ArrayList<>();
        for (PeerSpec p : config.peers()) {
            Member want = Member.newBuilder().setId(p.id()).setRaftAddress(p.raftAddress()).setGrpcAddress(p.grpcAddress()).setPeerAddress(p.peerAddress()).build();
            if (peers.contains(p.raftAddress()) && !want.equals(replicated.get(p.id()))) {
                commands.add(Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(want)).setNowMs(clock.millis()).build());
            }
        }
        for (Member m : replicated.values()) {
            if (!peers.contains(m.getRaftAddress())) {
                commands.add(Command.newBuilder().setRemoveMember(io.muster.internal.v1.RemoveMemberCmd.newBuilder().setId(m.getId()))
                        .setNowMs(clock.millis()).build());
            }
        }
        for (Command c : commands) {
            raft.propose(c).exceptionally(e -> {
                log.debug("directory update not committed: {}", e.toString());
                return null;
            });
        }
    }

    // What a program that embeds a member may ask of it: who it is, how it was configured, where its
    // listeners ended up (ports may be ephemeral), whether it leads, and its meters. Everything else
    // goes through the gRPC API, as it does for any client.

    /** This member's id ({@code --id}). */
    public String id() {
        return config.self().id();
    }

    /** The configuration the member was started with. */
    public NodeConfig config() {
        return config;
    }

    /** The port the public gRPC listener is bound to (the one chosen when the configuration asks for port 0). */
    public int grpcPort() {
        return server.getPort();
    }

    /** The configured host:port of the public gRPC API. */
    public String grpcAddress() {
        return config.self().grpcAddress();
    }

    /** Port of the HTTP/JSON API, or -1 when it is off ({@code --http-port} absent or 0). */
    public int httpPort() {
        return httpApi == null ? -1 : httpApi.port();
    }

    /** Port of the peer listener (member-to-member calls). */
    public int peerPort() {
        return peerServer.port();
    }

    /** Port of the /metrics endpoint, or -1 when disabled. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /**
     * The member's meters (what {@code /metrics} serves), for an embedding program that exports them
     * its own way, as Armeria's {@code Server.meterRegistry()}.
     */
    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** Whether this member is the Raft leader now (a snapshot: leadership can move at any time). */
    public boolean isLeader() {
        return raft.isLeader();
    }

    /**
     * The member's Raft node. Package-private for the tests of this package that must reach the log
     * itself ({@code LogWithInvalidCommandsStartsAndServesTest} proposes commands no API accepts);
     * everything else observes a member through the gRPC API and its meters.
     */
    RaftNode raft() {
        return raft;
    }

    /**
     * The member's health checker. Package-private: tests of which member runs which check (nothing the
     * API answers) reach it through the test-side {@code io.muster.server.MemberInternals}.
     */
    HealthChecker healthChecks() {
        return healthChecks;
    }

    /** Graceful stop: hand over leadership, end streams with UNAVAILABLE, stop Raft. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        serving = false;
        health.enterTerminalState();
        if (healthChecks != null) {
            // the other members take the checks over once they see this one NOT_SERVING
            healthChecks.close();
        }
        if (probers != null) {
            probers.close();
        }
        if (healthRuntime != null) {
            healthRuntime.close();
        }
        try {
            raft.stepDown(Duration.ofSeconds(3));
        } catch (RuntimeException e) {
            log.warn("step down failed", e);
        }
        if (httpApi != null) {
            // first, so no HTTP request starts a call on the services stopping below
            httpApi.close();
        }
        if (httpChannel != null) {
            httpChannel.shutdownNow();
        }
        if (httpInProcess != null) {
            httpInProcess.shutdownNow();
        }
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (peerServer != null) {
            peerServer.close();
        }
        if (publicTls != null) {
            publicTls.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (jvmMetrics != null) {
            jvmMetrics.close();
        }
        watchHub.close();
        leases.close();
        forwarder.close();
        raft.close();
        scheduler.shutdownNow();
        watchExecutor.shutdownNow();
        snapshotExecutor.shutdown();
        grpcExecutor.shutdownNow();
        serverLoops.close();
        log.info("registry node {} stopped", config.self().id());
    }
}
