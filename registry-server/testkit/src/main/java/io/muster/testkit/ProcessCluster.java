package io.muster.testkit;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.LeaderResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A registry cluster whose members are separate JVMs ({@code io.muster.server.Main}, with the
 * classpath of the current JVM) on free 127.0.0.1 ports, so that a member can be killed with SIGKILL.
 * Used by the process tests and by the benchmarks. Each member logs to {@code <workDir>/<id>.log}
 * (its command line first; a restart appends) and keeps its data in {@code <workDir>/<id>/}.
 * {@link #close} stops the members (SIGTERM, then SIGKILL) and deletes their data (the logs stay).
 *
 * <pre>{@code
 * try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {   // waits for a leader
 *     ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
 *     cluster.kill(leader.id());
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one thread starts, kills and closes.
 */
public final class ProcessCluster implements AutoCloseable {

    /** JVM options of a member in tests: a small heap and a quick start. */
    public static final List<String> TEST_JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    public static final int DEFAULT_ELECTION_TIMEOUT_MS = 1000;
    /** How long {@link #start(Path, int)} waits for the first leader (first start of every JVM). */
    public static final Duration FIRST_LEADER_TIMEOUT = Duration.ofSeconds(60);

    /** One member: its addresses, metrics port, data directory and log. */
    public record Member(String id, String raftAddress, String grpcAddress, String peerAddress, int metricsPort,
                         Path dataDir, Path log) {
        /** {@code id=raft/grpc/peer}, as {@code --peers} takes it. */
        public String peerSpec() {
            return id + "=" + raftAddress + "/" + grpcAddress + "/" + peerAddress;
        }
    }

    private final Path workDir;
    private final int electionTimeoutMs;
    private final List<String> jvmOptions;
    private final Function<String, List<String>> memberFlags;
    private final List<String> memberArgs;
    private final ClientTls clientTls;
    private final java.util.function.Supplier<String> token;
    private final List<Member> members = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Set<String> frozen = ConcurrentHashMap.newKeySet();
    /** Members added by {@link #startJoining()}: they start with {@code --join}, not {@code --peers}. */
    private final Set<String> joiners = ConcurrentHashMap.newKeySet();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Network network;

    private ProcessCluster(Builder b) {
        this.workDir = b.workDir.toAbsolutePath();
        this.electionTimeoutMs = b.electionTimeoutMs;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.memberFlags = b.memberFlags;
        this.memberArgs = List.copyOf(b.memberArgs);
        this.clientTls = b.clientTls;
        this.token = b.token;
        for (int i = 1; i <= b.size; i++) {
            String id = "n" + i;
            members.add(new Member(id, FreePorts.nextAddress(), FreePorts.nextAddress(), FreePorts.nextAddress(),
                    FreePorts.next(), workDir.resolve(id), workDir.resolve(id + ".log")));
        }
        this.network = b.proxiedLinks ? new Network(members) : null;
    }

    /** {@code size} members with the test defaults, started, once one of them leads. */
    public static ProcessCluster start(Path workDir, int size) {
        ProcessCluster cluster = builder(workDir).size(size).start();
        try {
            cluster.awaitLeader(FIRST_LEADER_TIMEOUT);
            // a leader needs only a majority: the last member may still be starting, and a test that
            // calls it first would see its port refuse the connection
            cluster.awaitEveryMemberServing(FIRST_LEADER_TIMEOUT);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    /** Options of a cluster; {@link #start()} launches every member and does not wait for a leader. */
    public static final class Builder {
        private final Path workDir;
        private int size = 3;
        private int electionTimeoutMs = DEFAULT_ELECTION_TIMEOUT_MS;
        private List<String> jvmOptions = TEST_JVM_OPTIONS;
        private Function<String, List<String>> memberFlags = id -> List.of();
        private List<String> memberArgs = List.of();
        private boolean proxiedLinks;
        private ClientTls clientTls;
        private java.util.function.Supplier<String> token = () -> null;

        private Builder(Path workDir) {
            this.workDir = workDir;
        }

        public Builder size(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("size: " + size + " (expected: at least 1)");
            }
            this.size = size;
            return this;
        }

        public Builder electionTimeoutMs(int electionTimeoutMs) {
            if (electionTimeoutMs <= 0) {
                throw new IllegalArgumentException("electionTimeoutMs: " + electionTimeoutMs + " (expected: > 0)");
            }
            this.electionTimeoutMs = electionTimeoutMs;
            return this;
        }

        /** JVM options of every member (e.g. -Xmx), replacing {@link #TEST_JVM_OPTIONS}. */
        public Builder jvmOptions(List<String> jvmOptions) {
            this.jvmOptions = List.copyOf(jvmOptions);
            return this;
        }

        /**
         * More {@code muster-server} flags for the member with the given id, after the ones every
         * member gets (e.g. {@code --peer-tls-cert} and the files issued for that member).
         */
        public Builder memberFlags(Function<String, List<String>> flagsById) {
            this.memberFlags = java.util.Objects.requireNonNull(flagsById, "flagsById");
            return this;
        }

        /** More {@code muster-server} flags for every member (e.g. {@code --acl-enabled}). */
        public Builder memberArgs(List<String> args) {
            this.memberArgs = List.copyOf(args);
            return this;
        }

        /**
         * The members serve their public port (and metrics port) over TLS (their flags say so, through
         * {@link #memberFlags}): this cluster's own channels and scrapes speak TLS with these files.
         */
        public Builder clientTls(ClientTls tls) {
            this.clientTls = java.util.Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * The members run with ACLs on: this cluster's own calls ({@link #awaitLeader}, ...) send the
         * token {@code token} gives at the time of the call (null: none yet, e.g. before the first
         * leader wrote its bootstrap token).
         */
        public Builder token(java.util.function.Supplier<String> token) {
            this.token = java.util.Objects.requireNonNull(token, "token");
            return this;
        }

        /** Every member-to-member link through a proxy the test controls: {@link ProcessCluster#network()}. */
        public Builder proxiedLinks() {
            this.proxiedLinks = true;
            return this;
        }

        public ProcessCluster start() {
            ProcessCluster cluster = new ProcessCluster(this);
            try {
                Files.createDirectories(cluster.workDir);
                for (Member m : cluster.members) {
                    cluster.startNode(m.id());
                }
            } catch (IOException | RuntimeException e) {
                cluster.close();
                throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
            return cluster;
        }
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    public Member member(String id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member " + id));
    }

    /** The gRPC addresses of all members, comma-separated (a client's targets). */
    public String targets() {
        return String.join(",", members.stream().map(Member::grpcAddress).toList());
    }

    public Path workDir() {
        return workDir;
    }

    /** The member-to-member links, for a cluster built with {@link Builder#proxiedLinks()}. */
    public Network network() {
        if (network == null) {
            throw new IllegalStateException("links are not proxied: build the cluster with proxiedLinks()");
        }
        return network;
    }

    public int electionTimeoutMs() {
        return electionTimeoutMs;
    }

    /** Starts a member's JVM, or restarts one that was killed (same ports, same data). */
    public void startNode(String id) {
        Member self = member(id);
        if (isRunning(id)) {
            throw new IllegalStateException(id + " is running");
        }
        Path tmpDir = workDir.resolve("tmp-" + id);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-Dsofa.middleware.log.disable=true");
        cmd.add("-Dcom.google.protobuf.use_unsafe_pre22_gencode=true");
        // the server's own logging configuration (as deployed), not the tests' logback-test.xml on this class path
        cmd.add("-Dlogback.configurationFile=logback.xml");
        // each JVM unpacks RocksDB's native library into its tmpdir: keep it under the work dir
        cmd.add("-Djava.io.tmpdir=" + tmpDir);
        // jraft answers SIGUSR2 with describe / metrics dumps into these dirs (default: the working dir)
        for (String kind : List.of("node.describe", "node.metrics", "thread.pool.metrics")) {
            cmd.add("-Djraft.signal." + kind + ".dir=" + tmpDir);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.muster.server.Main");
        cmd.addAll(List.of("--id", id, "--raft", self.raftAddress(), "--grpc", self.grpcAddress(), "--peer", self.peerAddress()));
        if (joiners.contains(id)) {
            cmd.add("--join");
        } else {
            cmd.addAll(List.of("--peers", String.join(",", members.stream().filter(m -> !joiners.contains(m.id())).map(Member::peerSpec).toList())));
        }
        cmd.addAll(List.of("--data-dir", self.dataDir().toString(), "--election-timeout-ms", Integer.toString(electionTimeoutMs),
                "--metrics-port", Integer.toString(self.metricsPort())));
        cmd.addAll(memberFlags.apply(id));
        if (network != null) {
            cmd.add("--dial-route");
            cmd.add(String.join(",", network.dialRoutes(id, members)));
        }
        cmd.addAll(memberArgs);
        try {
            Files.createDirectories(tmpDir);
            Files.writeString(self.log(), String.join(" ", cmd) + System.lineSeparator(),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(cmd)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(self.log().toFile()))
                    .start();
            processes.put(id, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts one more member, empty and with {@code --join} (docs/operations.md, "Membership"), with
     * the cluster's JVM options and flags. It is not in the Raft configuration until a
     * {@code Cluster.AddMember} names it; its addresses are in the returned {@link Member}. Not for a
     * cluster with proxied links.
     */
    public Member startJoining() {
        if (network != null) {
            throw new IllegalStateException("a joining member has no proxied links");
        }
        String id = "n" + (members.size() + 1);
        Member m = new Member(id, FreePorts.nextAddress(), FreePorts.nextAddress(), FreePorts.nextAddress(),
                FreePorts.next(), workDir.resolve(id), workDir.resolve(id + ".log"));
        joiners.add(id);
        members.add(m);
        startNode(id);
        return m;
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

    /**
     * SIGSTOP: the member freezes with its sockets open (the kernel still accepts connections and
     * acknowledges bytes), like a long GC pause or a stalled VM, not like a crash. {@link #thaw} or
     * {@link #close} resumes it.
     */
    public void freeze(String id) {
        signal(id, "STOP");
        frozen.add(id);
    }

    /** SIGCONT of a {@linkplain #freeze frozen} member. */
    public void thaw(String id) {
        if (frozen.remove(id)) {
            signal(id, "CONT");
        }
    }

    private void signal(String id, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid(id))).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + id + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + id, e);
        }
    }

    public boolean isRunning(String id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /** Process id of a running member (for jcmd, jstack and /proc in measurements). */
    public long pid(String id) {
        return process(id).pid();
    }

    /** The running member's process (CPU time in measurements). */
    public ProcessHandle processHandle(String id) {
        return process(id).toHandle();
    }

    private Process process(String id) {
        Process p = processes.get(id);
        if (p == null) {
            throw new IllegalStateException(id + " is not running");
        }
        return p;
    }

    /**
     * A client's TLS files: the CA that signed the members' certificates and, when the members require
     * one, the client's certificate and key (both or neither).
     */
    public record ClientTls(Path ca, Path cert, Path key) {
        public ClientTls {
            java.util.Objects.requireNonNull(ca, "ca");
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException("cert and key: both or neither");
            }
        }
    }

    /** A channel to a member's gRPC address (kept across restarts of that member). */
    public ManagedChannel channel(String id) {
        return channels.computeIfAbsent(id, k -> channelTo(member(k).grpcAddress()).intercept(new io.grpc.ClientInterceptor() {
            @Override
            public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method, io.grpc.CallOptions options,
                                                                 io.grpc.Channel next) {
                String t = token.get();
                if (t == null) {
                    return next.newCall(method, options);
                }
                io.grpc.Metadata h = new io.grpc.Metadata();
                h.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + t);
                return io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(h).interceptCall(method, options, next);
            }
        }).build());
    }

    /** A builder of a channel to {@code target} that speaks what the members' public ports speak (TLS or plain text). */
    public NettyChannelBuilder channelTo(String target) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(target);
        if (clientTls == null) {
            return b.usePlaintext();
        }
        try {
            io.netty.handler.ssl.SslContextBuilder ctx = io.grpc.netty.GrpcSslContexts.forClient().trustManager(clientTls.ca().toFile());
            if (clientTls.cert() != null) {
                ctx.keyManager(clientTls.cert().toFile(), clientTls.key().toFile());
            }
            return b.sslContext(ctx.build());
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("client TLS: " + e.getMessage(), e);
        }
    }

    /** The Prometheus text member {@code m} serves, over HTTPS when the cluster has {@link Builder#clientTls}. */
    public String metricsText(Member m) throws IOException {
        if (clientTls == null) {
            return metricsText(m.metricsPort());
        }
        try {
            java.security.KeyStore anchors = java.security.KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int i = 0;
            try (InputStream in = java.nio.file.Files.newInputStream(clientTls.ca())) {
                for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    anchors.setCertificateEntry("ca-" + i++, c);
                }
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            tmf.init(anchors);
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            javax.net.ssl.HttpsURLConnection c = (javax.net.ssl.HttpsURLConnection) URI.create("https://127.0.0.1:" + m.metricsPort() + "/metrics")
                    .toURL().openConnection();
            c.setSSLSocketFactory(ssl.getSocketFactory());
            c.setConnectTimeout(5_000);
            c.setReadTimeout(5_000);
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("metrics over TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Polls {@code Cluster.Leader} on every running member (1 s deadline per call) until one names a
     * running member of this cluster as leader and this cluster's channel to that leader is connected;
     * fails at once if a member exited on its own, and after {@code timeout} with the last answer.
     *
     * <p>The channel check matters right after a start: a channel that was refused while its member
     * was still starting waits out gRPC's reconnect backoff, and a call made meanwhile fails at once
     * with UNAVAILABLE, though the member is up and leads; such a channel is told to connect now.
     */
    /** Waits until every running member's public gRPC port accepts a connection. */
    public void awaitEveryMemberServing(Duration timeout) {
        for (Member m : members) {
            if (!processes.containsKey(m.id())) {
                continue; // killed
            }
            try {
                Awaitility.await(m.id() + " serving").atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            Process p = processes.get(m.id());
                            if (p != null && !p.isAlive()) {
                                throw new IllegalStateException("member " + m.id() + " exited with " + p.exitValue() + "; see " + m.log());
                            }
                            ManagedChannel ch = channel(m.id());
                            ConnectivityState state = ch.getState(true);
                            if (state == ConnectivityState.TRANSIENT_FAILURE) {
                                ch.resetConnectBackoff(); // not yet listening: try again at the next poll, not after a backoff
                            }
                            return state == ConnectivityState.READY;
                        });
            } catch (ConditionTimeoutException e) {
                throw new IllegalStateException(m.id() + " not serving within " + timeout + "; see " + m.log(), e);
            }
        }
    }

    public Member awaitLeader(Duration timeout) {
        AtomicReference<String> lastAnswer = new AtomicReference<>("no answer yet");
        try {
            return Awaitility.await("a leader").atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .until(() -> leaderNamedByAMember(lastAnswer), Optional::isPresent).orElseThrow();
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("no leader within " + timeout + " (" + lastAnswer.get() + "); logs in " + workDir, e);
        }
    }

    /** One round of {@code Cluster.Leader} over the running members; the first running leader named, if any. */
    private Optional<Member> leaderNamedByAMember(AtomicReference<String> lastAnswer) {
        for (Member m : members) {
            Process p = processes.get(m.id());
            if (p == null) {
                continue; // killed
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("member " + m.id() + " exited with " + p.exitValue() + "; see " + m.log());
            }
            try {
                LeaderResponse r = ClusterGrpc.newBlockingStub(channel(m.id())).withDeadlineAfter(1, TimeUnit.SECONDS)
                        .leader(LeaderRequest.getDefaultInstance());
                String leader = r.getLeader().getId();
                if (r.hasLeader() && processes.containsKey(leader)) {
                    ManagedChannel toLeader = channel(leader);
                    ConnectivityState state = toLeader.getState(true);
                    if (state == ConnectivityState.READY) {
                        return Optional.of(member(leader));
                    }
                    if (state == ConnectivityState.TRANSIENT_FAILURE) {
                        toLeader.resetConnectBackoff(); // it leads, so it is up: connect now, not after the backoff
                    }
                    lastAnswer.set(m.id() + " named leader " + leader + ", whose channel is " + state);
                } else {
                    lastAnswer.set(m.id() + " named leader " + r.getLeader());
                }
            } catch (StatusRuntimeException e) {
                lastAnswer.set(m.id() + ": " + e.getStatus());
            }
        }
        return Optional.empty();
    }

    /** The Prometheus text a member serves on its metrics port. */
    public static String metricsText(int metricsPort) throws IOException {
        try (InputStream in = URI.create("http://127.0.0.1:" + metricsPort + "/metrics").toURL().openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        // a stopped process would not act on SIGTERM until continued
        List.copyOf(frozen).forEach(this::thaw);
        List<Process> running = List.copyOf(processes.values());
        processes.clear();
        running.forEach(Process::destroy);
        for (Process p : running) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        if (network != null) {
            network.close();
        }
        for (Member m : members) {
            deleteTree(m.dataDir());
            deleteTree(workDir.resolve("tmp-" + m.id()));
        }
    }

    private static void deleteTree(Path dir) {
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
