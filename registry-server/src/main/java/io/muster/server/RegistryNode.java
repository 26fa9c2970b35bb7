package io.muster.server;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.api.ClusterService;
import io.muster.server.api.ForwardedInterceptor;
import io.muster.server.api.Forwarder;
import io.muster.server.api.KeepAliveHandler;
import io.muster.server.api.PeerDirectory;
import io.muster.server.api.RegistryService;
import io.muster.server.catalog.Catalog;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import io.muster.server.lease.LeaseManager;
import io.muster.server.raft.LeadershipListener;
import io.muster.server.raft.RaftNode;
import io.muster.server.watch.WatchHub;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private final WatchHub watchHub;
    private final RaftNode raft;
    private final LeaseManager leases;
    private final PeerDirectory directory;
    private final Forwarder forwarder;
    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;
    private volatile boolean closed;

    private RegistryNode(NodeConfig config) {
        this.config = config;
        String id = config.self().id();
        this.scheduler = new ScheduledThreadPoolExecutor(2, new DefaultThreadFactory("muster-" + id + "-sched", true));
        this.watchExecutor = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(config.maxWatchers() + 1024), new DefaultThreadFactory("muster-" + id + "-watch", true));
        this.snapshotExecutor = Executors.newSingleThreadExecutor(new DefaultThreadFactory("muster-" + id + "-snapshot", true));
        this.grpcExecutor = Executors.newCachedThreadPool(new DefaultThreadFactory("muster-" + id + "-grpc", true));
        this.watchHub = new WatchHub(catalog, config.historySize(), watchExecutor, scheduler, System::nanoTime, id, config.maxWatchers());
        catalog.addListener(watchHub);
        this.raft = new RaftNode(new RaftNode.Options(config.self().raftAddress(),
                config.peers().stream().map(PeerSpec::raftAddress).toList(), config.dataDir().resolve("raft"),
                config.electionTimeoutMs(), config.snapshotIntervalSecs(), config.syncLog()), catalog, snapshotExecutor);
        this.leases = new LeaseManager(raft::propose, scheduler, System::nanoTime, clock, 100);
        catalog.addListener(leases);
        raft.addLeadershipListener(leases);
        this.directory = new PeerDirectory(catalog, config.peers());
        this.forwarder = new Forwarder(id, raft, directory, scheduler, grpcExecutor);
        raft.addLeadershipListener(new LeadershipListener() {
            @Override
            public void onLeaderStart(long term) {
                scheduler.execute(RegistryNode.this::publishConfiguredPeers);
            }

            @Override
            public void onLeaderStop() {
            }
        });
    }

    /** Starts a node and returns once its gRPC server is bound and its Raft node is running. */
    public static RegistryNode start(NodeConfig config) throws IOException {
        RegistryNode node = new RegistryNode(config);
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
        KeepAliveHandler keepAlives = new KeepAliveHandler(id, leases, forwarder, request -> {
            throw Status.UNIMPLEMENTED.withDescription("TTL-check reports need server-side health checking (not enabled on this node)")
                    .asRuntimeException();
        });
        RegistryService registry = new RegistryService(raft, catalog, forwarder, watchHub, keepAlives, clock);
        ClusterService cluster = new ClusterService(id, raft, catalog, directory, forwarder, clock);
        InetSocketAddress bind = socketAddress(config.self().grpcAddress());
        ForwardedInterceptor forwarded = new ForwardedInterceptor();
        server = NettyServerBuilder.forAddress(bind)
                .executor(grpcExecutor)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(ServerInterceptors.intercept(registry, forwarded))
                .addService(ServerInterceptors.intercept(cluster, forwarded))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
        raft.start();
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(RegistryGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(ClusterGrpc.SERVICE_NAME, ServingStatus.SERVING);
        log.info("registry node {} serving gRPC on {} (raft {})", id, bind, config.self().raftAddress());
    }

    static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Records the configured peers in the replicated directory, so members added later can find them. */
    private void publishConfiguredPeers() {
        Map<String, Member> replicated = catalog.read(v -> {
            Map<String, Member> m = new java.util.HashMap<>();
            v.members().forEach(x -> m.put(x.getId(), x));
            return m;
        });
        for (PeerSpec p : config.peers()) {
            Member want = Member.newBuilder().setId(p.id()).setRaftAddress(p.raftAddress()).setGrpcAddress(p.grpcAddress()).build();
            if (!want.equals(replicated.get(p.id()))) {
                raft.propose(Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(want)).setNowMs(clock.millis()).build())
                        .exceptionally(e -> {
                            log.debug("could not publish member {}: {}", p.id(), e.toString());
                            return null;
                        });
            }
        }
    }

    public String id() {
        return config.self().id();
    }

    public NodeConfig config() {
        return config;
    }

    public int grpcPort() {
        return server.getPort();
    }

    public String grpcAddress() {
        return config.self().grpcAddress();
    }

    public RaftNode raft() {
        return raft;
    }

    public Catalog catalog() {
        return catalog;
    }

    public WatchHub watchHub() {
        return watchHub;
    }

    public LeaseManager leases() {
        return leases;
    }

    public boolean isLeader() {
        return raft.isLeader();
    }

    /** Graceful stop: hand over leadership, end streams with UNAVAILABLE, stop Raft. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        health.enterTerminalState();
        try {
            raft.stepDown(Duration.ofSeconds(3));
        } catch (RuntimeException e) {
            log.warn("step down failed", e);
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
        watchHub.close();
        leases.close();
        forwarder.close();
        raft.close();
        scheduler.shutdownNow();
        watchExecutor.shutdownNow();
        snapshotExecutor.shutdown();
        grpcExecutor.shutdownNow();
        log.info("registry node {} stopped", config.self().id());
    }
}
