package io.muster.server.raft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.closure.ReadIndexClosure;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rpc.ClientService;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcServer;
import com.alipay.sofa.jraft.util.BytesUtil;
import com.alipay.sofa.jraft.util.NamedThreadFactory;
import io.muster.internal.v1.Command;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.config.HostPort;
import io.muster.server.tls.PeerTls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Raft group of a registry node. The rest of the server sees futures and typed commands;
 * jraft's {@code Node}, {@code Closure} and {@code Iterator} stay in this package.
 */
public final class RaftNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    private static final String GROUP = "muster";
    // group commit: entries replicating at once, proposals that must wait before a second entry goes
    // (every entry costs each member about the same whatever its size, so fuller entries mean more
    // registrations a second), and what one entry may carry; the values were chosen by RegisterBench
    // (docs/benchmarks.md, "Figures behind choices in the code")
    private static final ProposalBatcher.Limits BATCH_LIMITS = new ProposalBatcher.Limits(2, 20, 256, 256 * 1024, 20_000);
    // jraft's default (ReadIndexClosure, "jraft.read-index.timeout")
    private static final long READ_INDEX_TIMEOUT_MS = 2_000;

    /**
     * Raft settings of one node.
     *
     * @param tls mutual TLS on the Raft port and on this node's connections to the other members;
     *            null = plaintext
     * @param memberAtRaftAddress with {@code tls}: the id of the member at a Raft address (host as
     *            written in the configuration, port), whose identity a connection there must present
     */
    public record Options(String raftAddress, List<String> initialPeers, Path dataDir, int electionTimeoutMs,
                          int snapshotIntervalSecs, boolean syncLog, PeerTls tls,
                          BiFunction<String, Integer, Optional<String>> memberAtRaftAddress) {
        public Options {
            initialPeers = List.copyOf(initialPeers);
            if (tls != null && memberAtRaftAddress == null) {
                throw new IllegalArgumentException("memberAtRaftAddress: required with tls (a member dialled must be the one expected)");
            }
        }

        /** Plaintext. */
        public Options(String raftAddress, List<String> initialPeers, Path dataDir, int electionTimeoutMs,
                       int snapshotIntervalSecs, boolean syncLog) {
            this(raftAddress, initialPeers, dataDir, electionTimeoutMs, snapshotIntervalSecs, syncLog, null, null);
        }
    }

    private final Options options;
    private final CatalogStateMachine stateMachine;
    private RaftGroupService group;
    // set once by start(); read by gRPC handlers, which may run before it
    private volatile Node node;

    private final ProposalBatcher batcher;
    private final CommitPusher pusher;
    // ReadIndex deadlines and the leader's check of its peer connections: one thread that sleeps
    // until the next one is due
    private final ScheduledThreadPoolExecutor timers;
    private volatile StalePeerConnections stalePeerConnections;

    /**
     * @param completer called on the proposing thread: where that proposal's future completes (never
     *                  jraft's apply thread)
     */
    public RaftNode(Options options, Catalog catalog, Executor snapshotExecutor, Supplier<Executor> completer) {
        this.options = options;
        this.stateMachine = new CatalogStateMachine(catalog, snapshotExecutor);
        this.pusher = new CommitPusher(this::heartbeatRound);
        ProposalBatcher.Sink sink = new ProposalBatcher.Sink() {
            @Override
            public void apply(Command command, long expectedTerm, Closure done) {
                RaftNode.this.apply(command, expectedTerm, done);
            }

            @Override
            public void idle() {
                pusher.request();
            }
        };
        this.batcher = new ProposalBatcher(sink, stateMachine::leaderTerm, completer, BATCH_LIMITS);
        this.timers = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory("muster-raft-timers-" + options.raftAddress(), true));
    }

    public void addLeadershipListener(LeadershipListener listener) {
        stateMachine.addLeadershipListener(listener);
    }

    /** Leader heartbeats per election timeout (jraft's {@code electionHeartbeatFactor}; jraft's default is 10). */
    static final int HEARTBEATS_PER_ELECTION_TIMEOUT = 5;

    public void start() throws IOException {
        PeerId self = PeerId.parsePeer(options.raftAddress());
        if (self == null) {
            throw new IllegalArgumentException("raft address: " + options.raftAddress() + " (expected: host:port)");
        }
        Configuration conf = new Configuration();
        for (String p : options.initialPeers()) {
            PeerId peer = PeerId.parsePeer(p);
            if (peer == null) {
                throw new IllegalArgumentException("peer raft address: " + p + " (expected: host:port)");
            }
            conf.addPeer(peer);
        }
        Path dir = options.dataDir();
        // jraft creates only the last path element of its storage dirs
        Files.createDirectories(dir);
        NodeOptions no = new NodeOptions();
        no.setElectionTimeoutMs(options.electionTimeoutMs());
        no.setSnapshotIntervalSecs(options.snapshotIntervalSecs());
        no.setInitialConf(conf);
        no.setFsm(stateMachine);
        no.setLogUri(dir.resolve("log").toString());
        no.setRaftMetaUri(dir.resolve("meta").toString());
        no.setSnapshotUri(dir.resolve("snapshot").toString());
        // jraft's shared timers (one DefaultTimer per kind for the nodes of the JVM that ask for
        // them) sleep until the next deadline; a node's own timers would be hashed wheels that tick
        // every millisecond whether anything is due or not (four per node). Chosen here, per node:
        // jraft's timer factory is a process-wide service-loader choice, not ours to make
        no.setSharedElectionTimer(true);
        no.setSharedVoteTimer(true);
        no.setSharedStepDownTimer(true);
        no.setSharedSnapshotTimer(true);
        RaftOptions ro = new RaftOptions();
        ro.setSync(options.syncLog());
        // an idle leader's cost is its heartbeats (a timer, a bolt write, a follower's handler and a
        // response callback each): 5 per election timeout (200 ms at 1000 ms) instead of jraft's 10.
        // Followers still call an election only after a full election timeout without one, and a
        // follower's commit index does not wait for them (CommitPusher); docs/operations.md, "Idle cost"
        ro.setElectionHeartbeatFactor(HEARTBEATS_PER_ELECTION_TIMEOUT);
        no.setRaftOptions(ro);
        group = new RaftGroupService(GROUP, self, no, rpcServer(HostPort.parse("raft address", options.raftAddress()), no, options.tls()));
        Node started = group.start();
        if (started == null) {
            throw new IOException("raft node failed to start at " + options.raftAddress() + " with data dir " + dir);
        }
        if (options.tls() != null) {
            // before the node is published: nothing here dials a member until it is set
            BoltTls.client(started, options.tls().raftClientContext(options.memberAtRaftAddress()));
        }
        node = started;
        // only now can a listener that reacts to leadership propose through this node
        stateMachine.openLeadershipCallbacks();
        watchPeerConnections(started);
        log.info("raft node {} started, peers {}", self, options.initialPeers());
    }

    /**
     * The leader closes its transport's connections to a peer that replication has not reached for
     * three election timeouts while no usable connection to it is pooled, so that jraft dials it
     * afresh: bolt never rebuilds a peer's pool left without a live connection
     * ({@link StalePeerConnections}). Checked twice per election timeout.
     */
    private void watchPeerConnections(Node started) {
        ClientService client = ((NodeImpl) started).getRpcService();
        StalePeerConnections stale = new StalePeerConnections(options.raftAddress(), new StalePeerConnections.Transport() {
            @Override
            public boolean usable(String peer) {
                return client.isConnected(PeerId.parsePeer(peer).getEndpoint());
            }

            @Override
            public void reset(String peer) {
                client.disconnect(PeerId.parsePeer(peer).getEndpoint());
            }
        }, System::nanoTime, Duration.ofMillis(3L * options.electionTimeoutMs()));
        stalePeerConnections = stale;
        long every = Math.max(50, options.electionTimeoutMs() / 2);
        timers.scheduleWithFixedDelay(() -> {
            try {
                boolean leader = started.isLeader();
                List<String> peers = List.of();
                List<String> alive = List.of();
                if (leader) {
                    try {
                        peers = started.listPeers().stream().map(p -> p.getEndpoint().toString()).toList();
                        alive = started.listAlivePeers().stream().map(p -> p.getEndpoint().toString()).toList();
                    } catch (IllegalStateException e) {
                        leader = false; // stepped down between the calls
                    }
                }
                stale.sample(leader, peers, alive);
            } catch (RuntimeException e) {
                log.warn("check of the connections to the peers failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Times the leader closed its connections to a peer it could not reach through a stale pool (all peers, all terms). */
    public long peerConnectionResets() {
        StalePeerConnections s = stalePeerConnections;
        return s == null ? 0 : s.resets();
    }

    /** jraft's client service of this node (its connections to the peers); package-private for tests of the transport. */
    ClientService raftClient() {
        return ((NodeImpl) started()).getRpcService();
    }

    /**
     * bolt's server for the Raft port, bound to the configured raft host only: jraft's own factory
     * binds every interface. The executors and processors are the ones jraft's factory installs.
     * With {@code tls}, every connection it accepts is mutual TLS (members only, {@link BoltTls}).
     */
    private static RpcServer rpcServer(HostPort bind, NodeOptions no, PeerTls tls) throws IOException {
        com.alipay.remoting.rpc.RpcServer bolt = new com.alipay.remoting.rpc.RpcServer(bind.host(), bind.port(), true);
        if (tls != null) {
            BoltTls.server(bolt, tls.raftServerContext());
        }
        RpcServer server = new BoltRpcServer(bolt);
        RaftRpcServerFactory.addRaftRequestProcessors(server,
                JRaftUtils.createExecutor("RAFT-RPC-executor-", no.getRaftRpcThreadPoolSize()),
                JRaftUtils.createExecutor("CLI-RPC-executor-", no.getCliRpcThreadPoolSize()));
        return server;
    }

    /**
     * Proposes a command; completes with its apply result once committed and applied here. A command
     * the catalog rejects (it broke a rule of the model) is committed, changes nothing and fails
     * this future with {@link io.muster.server.catalog.CommandRejectedException}.
     */
    public CompletableFuture<ApplyResult> propose(Command command) {
        if (stateMachine.leaderTerm() <= 0) {
            return CompletableFuture.failedFuture(new NotLeaderException(leaderRaftAddress(), "not the leader"));
        }
        return batcher.submit(command);
    }

    private void apply(Command entry, long expectedTerm, Closure done) {
        Task task = new Task(ByteBuffer.wrap(entry.toByteArray()), done);
        task.setExpectedTerm(expectedTerm);
        started().apply(task);
    }

    /**
     * One heartbeat round from the leader to every follower, carrying its commit index (see
     * {@link CommitPusher}). jraft has no public "send heartbeats now"; a ReadIndex on the leader
     * (ReadOnlySafe, the default here) sends exactly that round. {@code ended} runs once.
     */
    private void heartbeatRound(Runnable ended) {
        Node n = node;
        if (n == null || !isLeader()) {
            ended.run();
            return;
        }
        readIndex(n).whenComplete((ok, e) -> ended.run());
    }

    /** Completes when this node has applied everything committed before the call (ReadIndex). */
    public CompletableFuture<Void> readBarrier() {
        Node n = node;
        if (n == null) {
            return CompletableFuture.failedFuture(new RaftUnavailableException("raft node not started yet"));
        }
        return readIndex(n);
    }

    /**
     * A ReadIndex that fails with {@link RaftUnavailableException} unless it completes within jraft's
     * default read-index timeout. The deadline is this node's, not jraft's: jraft times a
     * {@code ReadIndexClosure} out on one timer per JVM from its process-wide timer factory (a wheel
     * that ticks every millisecond), so the closure here has none ({@code -1}).
     */
    private CompletableFuture<Void> readIndex(Node n) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        try {
            // never cancelled: when the read completed first, completing again does nothing
            timers.schedule(() -> future.completeExceptionally(new RaftUnavailableException("read index failed: "
                    + new Status(RaftError.ETIMEDOUT, "read-index request timeout"))), READ_INDEX_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new RaftUnavailableException("raft node stopped"));
        }
        n.readIndex(BytesUtil.EMPTY_BYTES, new ReadIndexClosure(-1) {
            @Override
            public void run(Status status, long index, byte[] reqCtx) {
                if (status.isOk()) {
                    future.complete(null);
                } else {
                    future.completeExceptionally(new RaftUnavailableException("read index failed: " + status));
                }
            }
        });
        return future;
    }

    public boolean isLeader() {
        return stateMachine.isLeader();
    }

    public long term() {
        return stateMachine.knownTerm();
    }

    public long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    /** Log entries this node proposed as leader (a group-commit batch counts once). */
    public long proposedEntries() {
        return batcher.proposedEntries();
    }

    /** Commands this node proposed as leader, in all its entries. */
    public long proposedCommands() {
        return batcher.proposedCommands();
    }

    /** Heartbeat rounds sent to push the commit index to the followers ({@link CommitPusher}). */
    public long commitPushRounds() {
        return pusher.rounds();
    }

    /** Whether {@link #start} has brought the node up. */
    public boolean isStarted() {
        return node != null;
    }

    /**
     * Whether the node no longer applies: its state machine stopped on an error (jraft's error state,
     * see {@code ESTATEMACHINE} in docs/operations.md) or it is shutting down.
     */
    public boolean isStopped() {
        Node n = node;
        if (n == null) {
            return false;
        }
        com.alipay.sofa.jraft.core.State s = n.getNodeState();
        return s == com.alipay.sofa.jraft.core.State.STATE_ERROR || !s.isActive();
    }

    public long lastLogIndex() {
        return node == null ? 0 : node.getLastLogIndex();
    }

    public long committedIndex() {
        return node == null ? 0 : node.getLastCommittedIndex();
    }

    public String raftAddress() {
        return options.raftAddress();
    }

    /**
     * Bytes of the files under this node's Raft directory (RocksDB log, metadata, snapshots). Walks
     * the directory: call it off the event loops. Files that disappear during the walk (a log
     * segment compacted, a snapshot replaced) are skipped.
     */
    public long diskUsageBytes() throws IOException {
        Path dir = options.dataDir();
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long[] total = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    /** Raft address of the leader this node knows of, or null. */
    public String leaderRaftAddress() {
        PeerId leader = node == null ? null : node.getLeaderId();
        return leader == null || leader.isEmpty() ? null : leader.getEndpoint().toString();
    }

    /** The current configuration; only the leader knows it for sure (jraft refuses elsewhere). */
    public List<String> peers() {
        Node n = started();
        if (!isLeader()) {
            throw new NotLeaderException(leaderRaftAddress(), "only the leader lists the configuration");
        }
        try {
            return n.listPeers().stream().map(p -> p.getEndpoint().toString()).toList();
        } catch (IllegalStateException e) {
            throw new NotLeaderException(leaderRaftAddress(), "only the leader lists the configuration");
        }
    }

    /** Peers the leader heard from recently; empty on followers. */
    public List<String> alivePeers() {
        if (!isLeader()) {
            return List.of();
        }
        return started().listAlivePeers().stream().map(p -> p.getEndpoint().toString()).toList();
    }

    /** The jraft node, or {@link RaftUnavailableException} while it has not started (the gRPC server starts first). */
    private Node started() {
        Node n = node;
        if (n == null) {
            throw new RaftUnavailableException("raft node not started yet");
        }
        return n;
    }

    public CompletableFuture<Void> addPeer(String raftAddress) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        started().addPeer(PeerId.parsePeer(raftAddress), status -> complete(f, status, "add peer " + raftAddress));
        return f;
    }

    public CompletableFuture<Void> removePeer(String raftAddress) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        started().removePeer(PeerId.parsePeer(raftAddress), status -> complete(f, status, "remove peer " + raftAddress));
        return f;
    }

    /** Starts a leadership transfer; {@code null} picks the most up-to-date follower. */
    public CompletableFuture<Void> transferLeadership(String raftAddress) {
        Status s = started().transferLeadershipTo(raftAddress == null ? PeerId.ANY_PEER : PeerId.parsePeer(raftAddress));
        if (s.isOk()) {
            return CompletableFuture.completedFuture(null);
        }
        if (s.getRaftError() == com.alipay.sofa.jraft.error.RaftError.EPERM) {
            return CompletableFuture.failedFuture(new NotLeaderException(leaderRaftAddress(), "leadership transfer: " + s.getErrorMsg()));
        }
        return CompletableFuture.failedFuture(new RaftRefusedException("leadership transfer refused: " + s.getErrorMsg()));
    }

    /** Takes a Raft snapshot now (compacting the log). */
    public CompletableFuture<Void> snapshot() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        started().snapshot(status -> complete(f, status, "snapshot"));
        return f;
    }

    private static void complete(CompletableFuture<Void> f, Status status, String what) {
        if (status.isOk()) {
            f.complete(null);
        } else if (status.getRaftError() == com.alipay.sofa.jraft.error.RaftError.EPERM) {
            f.completeExceptionally(new NotLeaderException(null, what + ": " + status.getErrorMsg()));
        } else if (status.getRaftError() == com.alipay.sofa.jraft.error.RaftError.EBUSY) {
            f.completeExceptionally(new RaftBusyException(what + ": " + status.getErrorMsg() + " (retry when it is done)"));
        } else {
            f.completeExceptionally(new RaftUnavailableException(what + " failed: " + status));
        }
    }

    /** Hands leadership over (if leader) and waits up to {@code timeout} for it to move. */
    public void stepDown(Duration timeout) {
        if (node == null || !isLeader() || node.listPeers().size() < 2) {
            return;
        }
        Status s = node.transferLeadershipTo(PeerId.ANY_PEER);
        if (!s.isOk()) {
            log.warn("leadership transfer before shutdown failed: {}", s);
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isLeader() && System.nanoTime() < deadline) {
            // a bounded wait on shutdown only; no state to wait on except the role flag
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        log.info("leadership handed over: {}", !isLeader());
    }

    @Override
    public void close() {
        if (group != null) {
            group.shutdown();
            try {
                group.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            group = null;
        }
        timers.shutdownNow();
    }
}
