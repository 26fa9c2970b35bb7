package io.muster.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.LeaderResponse;
import io.muster.server.config.PeerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A registry cluster whose nodes are separate JVMs ({@code io.muster.server.Main}), so a node can be
 * killed with SIGKILL. Each node logs to {@code <baseDir>/<id>.log}.
 */
public final class ProcessCluster implements AutoCloseable {

    private final Path baseDir;
    private final List<PeerSpec> peers = new ArrayList<>();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final int electionTimeoutMs;
    private final Map<String, Integer> metricsPorts = new ConcurrentHashMap<>();

    private ProcessCluster(Path baseDir, int size, int electionTimeoutMs) {
        this.baseDir = baseDir;
        this.electionTimeoutMs = electionTimeoutMs;
        for (int i = 1; i <= size; i++) {
            peers.add(new PeerSpec("n" + i, "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next(), "127.0.0.1:" + FreePorts.next()));
            metricsPorts.put("n" + i, FreePorts.next());
        }
    }

    public static ProcessCluster start(Path baseDir, int size) {
        ProcessCluster c = new ProcessCluster(baseDir, size, 1000);
        for (PeerSpec p : c.peers) {
            c.startNode(p.id());
        }
        c.awaitLeader(Duration.ofSeconds(60));
        return c;
    }

    public List<PeerSpec> peers() {
        return List.copyOf(peers);
    }

    public PeerSpec spec(String id) {
        return peers.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    public String targets() {
        return String.join(",", peers.stream().map(PeerSpec::grpcAddress).toList());
    }

    public void startNode(String id) {
        PeerSpec self = spec(id);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + baseDir.resolve("tmp"),
                "-Dsofa.middleware.log.disable=true",
                // the server's own logging configuration (as deployed), not the tests' logback-test.xml on this class path
                "-Dlogback.configurationFile=logback.xml",
                "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true",
                "-cp", System.getProperty("java.class.path"),
                "io.muster.server.Main",
                "--id", id, "--raft", self.raftAddress(), "--grpc", self.grpcAddress(), "--peer", self.peerAddress(),
                "--peers", String.join(",", peers.stream().map(PeerSpec::toString).toList()),
                "--data-dir", baseDir.resolve(id).toString(),
                "--election-timeout-ms", Integer.toString(electionTimeoutMs),
                "--metrics-port", Integer.toString(metricsPorts.get(id)));
        try {
            Files.createDirectories(baseDir.resolve("tmp"));
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(baseDir.resolve(id + ".log").toFile()))
                    .start();
            processes.put(id, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Port of a member's /metrics, /healthz and /readyz (the same across restarts). */
    public int metricsPort(String id) {
        return metricsPorts.get(id);
    }

    /** The file a member's stdout and stderr go to (appended to across restarts). */
    public Path logFile(String id) {
        return baseDir.resolve(id + ".log");
    }

    /** SIGKILL: no shutdown hook, no leadership hand-over. */
    public void kill(String id) {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Process id of a running member (for jcmd and /proc in measurements). */
    public long pid(String id) {
        Process p = processes.get(id);
        if (p == null) {
            throw new IllegalStateException(id + " is not running");
        }
        return p.pid();
    }

    public boolean isRunning(String id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    public ManagedChannel channel(String id) {
        return channels.computeIfAbsent(id, k -> NettyChannelBuilder.forTarget(spec(k).grpcAddress()).usePlaintext().build());
    }

    /** Id of the leader as reported by a running node, waiting up to {@code timeout}. */
    public String awaitLeader(Duration timeout) {
        return Awaitility.await("a leader").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(this::leaderOrNull, id -> id != null);
    }

    private String leaderOrNull() {
        for (String id : processes.keySet()) {
            try {
                LeaderResponse r = ClusterGrpc.newBlockingStub(channel(id)).withDeadlineAfter(1, TimeUnit.SECONDS)
                        .leader(LeaderRequest.getDefaultInstance());
                if (r.hasLeader() && processes.containsKey(r.getLeader().getId())) {
                    return r.getLeader().getId();
                }
            } catch (RuntimeException e) {
                // not up yet or no leader: try the next
            }
        }
        return null;
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (String id : List.copyOf(processes.keySet())) {
            Process p = processes.remove(id);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
