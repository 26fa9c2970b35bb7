package io.muster.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.server.RegistryNode;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import io.muster.server.raft.BoltDispatch;
import io.muster.testkit.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A registry cluster of real nodes inside the test JVM: real Raft (RocksDB log in a temp dir),
 * real gRPC on 127.0.0.1 ephemeral ports. Stopping a node here is a graceful shutdown; use
 * {@link io.muster.testkit.ProcessCluster} to test crashes.
 *
 * <p>One cluster for all the tests of a class (jraft's global pools leak threads on every start, and
 * an election takes seconds) is a JUnit extension:
 * <pre>{@code
 * @RegisterExtension
 * static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withLimits(...));
 * }</pre>
 * started (in a temp dir of its own, leader elected) before the class's {@code @BeforeAll} methods
 * and closed, its dir deleted, after its {@code @AfterAll} methods. A test that needs a cluster of its
 * own calls {@link #start(Path, int)} in a try-with-resources.
 */
public final class LocalCluster implements AutoCloseable, BeforeAllCallback, AfterAllCallback {

    private static final UnaryOperator<NodeConfig> DEFAULTS = c -> c.withElectionTimeoutMs(1000);

    // set by start(...), or by beforeAll (a temp dir this cluster owns and deletes)
    private Path baseDir;
    private Path ownedDir;
    private final List<PeerSpec> peers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, RegistryNode> running = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> peerChannels = new ConcurrentHashMap<>();
    private final UnaryOperator<NodeConfig> customizer;
    private final List<PeerSpec> initialPeers;

    private LocalCluster(Path baseDir, int size, UnaryOperator<NodeConfig> customizer) {
        // what Main does for a real member before it starts (raft-inline-dispatch, on by default);
        // process-wide, so the test does it, never the node (the property: the test JVMs' argLine)
        BoltDispatch.install();
        this.baseDir = baseDir;
        this.customizer = customizer;
        for (int i = 1; i <= size; i++) {
            peers.add(new PeerSpec("n" + i, "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next()));
        }
        this.initialPeers = List.copyOf(peers);
    }

    public static LocalCluster start(Path baseDir, int size) {
        return start(baseDir, size, DEFAULTS);
    }

    public static LocalCluster start(Path baseDir, int size, UnaryOperator<NodeConfig> customizer) {
        LocalCluster c = new LocalCluster(baseDir, size, customizer);
        c.startAll();
        return c;
    }

    /** A cluster for every test of a class, as a JUnit extension (a static {@code @RegisterExtension} field). */
    public static LocalCluster perClass(int size) {
        return perClass(size, DEFAULTS);
    }

    /** {@link #perClass(int)} with each node's configuration passed through {@code customizer}. */
    public static LocalCluster perClass(int size, UnaryOperator<NodeConfig> customizer) {
        return new LocalCluster(null, size, customizer);
    }

    private void startAll() {
        for (PeerSpec p : peers) {
            startNode(p.id());
        }
        awaitLeader();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        if (baseDir != null) {
            throw new IllegalStateException("a perClass cluster serves one test class: declare it in a static field of that class");
        }
        ownedDir = Files.createTempDirectory("muster-cluster-");
        baseDir = ownedDir;
        startAll();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        close();
        if (ownedDir != null) {
            deleteTree(ownedDir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    public List<PeerSpec> peers() {
        return List.copyOf(peers);
    }

    public List<String> ids() {
        return peers.stream().map(PeerSpec::id).toList();
    }

    public NodeConfig configOf(String id) {
        PeerSpec self = spec(id);
        return customizer.apply(NodeConfig.of(self, initialPeers, baseDir.resolve(id)));
    }

    public PeerSpec spec(String id) {
        return peers.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    public RegistryNode startNode(String id) {
        try {
            RegistryNode node = RegistryNode.start(configOf(id));
            running.put(id, node);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a new node outside the cluster ({@code --join}); add it with Cluster.AddMember. */
    public PeerSpec startJoiningNode(String id) {
        return startJoiningNode(id, UnaryOperator.identity());
    }

    /** {@link #startJoiningNode(String)} with its configuration passed through {@code customizer}. */
    public PeerSpec startJoiningNode(String id, UnaryOperator<NodeConfig> customizer) {
        PeerSpec spec = new PeerSpec(id, "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next());
        peers.add(spec);
        try {
            running.put(id, RegistryNode.start(customizer.apply(NodeConfig.joining(spec, baseDir.resolve(id)))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return spec;
    }

    /** Forgets a removed member (after stopping it). */
    public void forget(String id) {
        stopNode(id);
        peers.removeIf(p -> p.id().equals(id));
        for (Map<String, ManagedChannel> m : List.of(channels, peerChannels)) {
            ManagedChannel ch = m.remove(id);
            if (ch != null) {
                ch.shutdownNow();
            }
        }
    }

    public void stopNode(String id) {
        RegistryNode node = running.remove(id);
        if (node != null) {
            node.close();
        }
    }

    public RegistryNode node(String id) {
        RegistryNode n = running.get(id);
        if (n == null) {
            throw new IllegalStateException(id + " is not running");
        }
        return n;
    }

    public List<RegistryNode> nodes() {
        return ids().stream().filter(running::containsKey).map(running::get).toList();
    }

    public Optional<RegistryNode> leaderIfAny() {
        return running.values().stream().filter(RegistryNode::isLeader).findFirst();
    }

    public RegistryNode awaitLeader() {
        return Awaitility.await("a leader").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> leaderIfAny().orElse(null), n -> n != null);
    }

    public RegistryNode aFollower() {
        RegistryNode leader = awaitLeader();
        return nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    /** A channel to a node's gRPC address (kept across restarts of that node). */
    public ManagedChannel channel(String id) {
        return channels.computeIfAbsent(id, k -> NettyChannelBuilder.forTarget(spec(k).grpcAddress()).usePlaintext().build());
    }

    /** A channel to a node's peer listener (member-to-member calls; tests that play a member). */
    public ManagedChannel peerChannel(String id) {
        return peerChannels.computeIfAbsent(id, k -> NettyChannelBuilder.forTarget(spec(k).peerAddress()).usePlaintext().build());
    }

    public String targets() {
        return String.join(",", peers.stream().map(PeerSpec::grpcAddress).toList());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        peerChannels.values().forEach(ManagedChannel::shutdownNow);
        for (String id : List.copyOf(running.keySet())) {
            stopNode(id);
        }
    }
}
