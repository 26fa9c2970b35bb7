package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.LeaderResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Starts a Muster cluster as separate JVMs ({@code io.muster.server.Main}) on free 127.0.0.1 ports,
 * with the classpath of the current JVM. Each node logs to {@code <workDir>/<id>.log} and keeps its
 * data in {@code <workDir>/<id>/}. {@link #close} stops the nodes (SIGTERM, then SIGKILL) and
 * deletes the data directories (the logs stay).
 */
public final class ProcessCluster implements AutoCloseable {

    /** One node process. */
    public record NodeProcess(String id, String raftAddress, String grpcAddress, String peerAddress, Path log, Path dataDir, Process process,
                              int metricsPort) {
        public long pid() {
            return process.pid();
        }
    }

    private final Path workDir;
    private final List<NodeProcess> nodes = new ArrayList<>();

    private ProcessCluster(Path workDir) {
        this.workDir = workDir;
    }

    /**
     * Starts {@code size} nodes. {@code jvmArgs} are extra JVM options of every node (e.g. -Xmx).
     */
    public static ProcessCluster start(int size, Path workDir, int electionTimeoutMs, List<String> jvmArgs) throws IOException {
        Files.createDirectories(workDir);
        ProcessCluster cluster = new ProcessCluster(workDir.toAbsolutePath());
        try {
            cluster.launch(size, electionTimeoutMs, jvmArgs);
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void launch(int size, int electionTimeoutMs, List<String> jvmArgs) throws IOException {
        List<Integer> ports = freePorts(4 * size);
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            specs.add("n" + (i + 1) + "=127.0.0.1:" + ports.get(2 * i) + "/127.0.0.1:" + ports.get(2 * i + 1)
                    + "/127.0.0.1:" + ports.get(3 * size + i));
        }
        String peers = String.join(",", specs);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        for (int i = 0; i < size; i++) {
            String id = "n" + (i + 1);
            String raft = "127.0.0.1:" + ports.get(2 * i);
            String grpc = "127.0.0.1:" + ports.get(2 * i + 1);
            String peer = "127.0.0.1:" + ports.get(3 * size + i);
            int metricsPort = ports.get(2 * size + i);
            Path dataDir = workDir.resolve(id);
            Path tmpDir = workDir.resolve("tmp-" + id);
            Files.createDirectories(tmpDir);
            Path log = workDir.resolve(id + ".log");
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(jvmArgs);
            cmd.add("-Dsofa.middleware.log.disable=true");
            cmd.add("-Dcom.google.protobuf.use_unsafe_pre22_gencode=true");
            cmd.add("-Djava.io.tmpdir=" + tmpDir);
            // jraft answers SIGUSR2 with describe / metrics dumps into these dirs (default: the working dir)
            for (String kind : List.of("node.describe", "node.metrics", "thread.pool.metrics")) {
                cmd.add("-Djraft.signal." + kind + ".dir=" + tmpDir);
            }
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add("io.muster.server.Main");
            cmd.addAll(List.of("--id", id, "--raft", raft, "--grpc", grpc, "--peer", peer, "--peers", peers,
                    "--data-dir", dataDir.toString(), "--election-timeout-ms", Integer.toString(electionTimeoutMs),
                    "--metrics-port", Integer.toString(metricsPort)));
            Files.writeString(log, String.join(" ", cmd) + System.lineSeparator());
            Process p = new ProcessBuilder(cmd)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            nodes.add(new NodeProcess(id, raft, grpc, peer, log, dataDir, p, metricsPort));
        }
    }

    /** The Prometheus text a node serves on its metrics port. */
    public static String metricsText(int metricsPort) throws IOException {
        try (var in = java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics").toURL().openStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Distinct free TCP ports on 127.0.0.1 (bound and released; a small race with other processes remains). */
    static List<Integer> freePorts(int n) throws IOException {
        Set<Integer> seen = new HashSet<>();
        List<ServerSocket> open = new ArrayList<>();
        try {
            while (seen.size() < n) {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                open.add(s);
                seen.add(s.getLocalPort());
            }
        } finally {
            for (ServerSocket s : open) {
                s.close();
            }
        }
        return new ArrayList<>(seen);
    }

    public List<NodeProcess> nodes() {
        return nodes;
    }

    public Path workDir() {
        return workDir;
    }

    public Optional<NodeProcess> byGrpcAddress(String grpcAddress) {
        return nodes.stream().filter(n -> n.grpcAddress().equals(grpcAddress)).findFirst();
    }

    /**
     * Polls {@code Cluster.Leader} on every node (2 s deadline per call) until one of them names a
     * leader that belongs to this cluster, or {@code timeout} passes.
     */
    public NodeProcess awaitLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ManagedChannel> channels = nodes.stream()
                .map(n -> NettyChannelBuilder.forTarget(n.grpcAddress()).usePlaintext().build())
                .collect(Collectors.toList());
        String lastError = "no answer yet";
        try {
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < nodes.size(); i++) {
                    NodeProcess n = nodes.get(i);
                    if (!n.process().isAlive()) {
                        throw new IllegalStateException("node " + n.id() + " exited with " + n.process().exitValue()
                                + "; see " + n.log());
                    }
                    try {
                        LeaderResponse r = ClusterGrpc.newBlockingStub(channels.get(i))
                                .withDeadlineAfter(2, TimeUnit.SECONDS)
                                .leader(LeaderRequest.getDefaultInstance());
                        Optional<NodeProcess> leader = byGrpcAddress(r.getLeader().getGrpcAddress());
                        if (leader.isPresent()) {
                            return leader.get();
                        }
                        lastError = n.id() + " named leader " + r.getLeader();
                    } catch (StatusRuntimeException e) {
                        lastError = n.id() + ": " + e.getStatus();
                    }
                }
                Thread.sleep(200);
            }
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        throw new IllegalStateException("no leader within " + timeout + " (" + lastError + "); logs in " + workDir);
    }

    @Override
    public void close() {
        for (NodeProcess n : nodes) {
            n.process().destroy();
        }
        for (NodeProcess n : nodes) {
            try {
                if (!n.process().waitFor(10, TimeUnit.SECONDS)) {
                    n.process().destroyForcibly();
                    n.process().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                n.process().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (NodeProcess n : nodes) {
            deleteTree(n.dataDir());
            deleteTree(workDir.resolve("tmp-" + n.id()));
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
