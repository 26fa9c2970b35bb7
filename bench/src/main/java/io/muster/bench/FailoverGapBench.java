package io.muster.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.testkit.ProcessCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * kill -9 of the leader under write load: the longest time with no acknowledged write, Muster and
 * etcd with the same driver and the same election timeout (issue 24). Closed-loop writers spread
 * their calls round-robin over all members (Muster Register through the raw stubs, etcd Put through
 * jetcd), each call with a short deadline and, after an error, a 10 ms pause before the next member.
 * Per cycle: {@code --settle-s} of writes, SIGKILL of the leader, {@code --after-s} more of writes,
 * then the victim is restarted and the cluster given {@code --rejoin-s} to catch up. The gap of a
 * cycle is the longest interval between two consecutive acknowledgements (any writer) from the last
 * acknowledgement before the kill to the end of the cycle (calls in flight at the kill may still be
 * acknowledged just after it, so the gap usually begins a few milliseconds later).
 */
@Command(name = "failover-gap-bench", mixinStandardHelpOptions = true,
        description = "kill -9 the leader under writes; the longest gap between acknowledged writes (Muster or etcd).")
public final class FailoverGapBench implements Callable<Integer> {

    enum SystemUnderTest { muster, etcd }

    @Option(names = "--system", required = true, description = "muster or etcd")
    SystemUnderTest system;
    @Option(names = "--kills", defaultValue = "5", description = "Cycles (default ${DEFAULT-VALUE})")
    int kills;
    @Option(names = "--clients", defaultValue = "16", description = "Closed-loop writers (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--deadline-ms", defaultValue = "500", description = "Deadline of each write (default ${DEFAULT-VALUE})")
    long deadlineMs;
    @Option(names = "--settle-s", defaultValue = "5", description = "Writes before each kill (default ${DEFAULT-VALUE})")
    int settleS;
    @Option(names = "--after-s", defaultValue = "8", description = "Writes after each kill (default ${DEFAULT-VALUE})")
    int afterS;
    @Option(names = "--rejoin-s", defaultValue = "8", description = "After restarting the victim, before the next cycle (default ${DEFAULT-VALUE})")
    int rejoinS;
    @Option(names = "--election-timeout-ms", defaultValue = "1000", description = "Both systems (default ${DEFAULT-VALUE})")
    int electionTimeoutMs;
    @Option(names = "--etcd", defaultValue = "/usr/bin/etcd", description = "The etcd binary (default ${DEFAULT-VALUE})")
    Path etcd;
    @Option(names = "--node-jvm-opts", defaultValue = "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -XX:+UseSerialGC", split = " ",
            description = "Muster member JVM flags (default: RegisterBench's)")
    List<String> nodeJvmOpts;
    @Option(names = "--work-dir", description = "Data dirs and member logs (default bench/target/runs/failover-<system>-<time>)")
    Path workDir;

    /** Acknowledgement times of one writer (nanoTime), appended by that writer's completions only. */
    static final class Acks {
        private long[] at = new long[1 << 16];
        private int n;

        synchronized void add(long t) {
            if (n == at.length) {
                at = Arrays.copyOf(at, n * 2);
            }
            at[n++] = t;
        }

        synchronized long[] drain() {
            long[] out = Arrays.copyOf(at, n);
            n = 0;
            return out;
        }
    }

    /** One system: its members, who leads, kill and restart, and one write. */
    interface Cluster extends AutoCloseable {
        List<String> members();

        String awaitLeader() throws Exception;

        void kill(String member) throws Exception;

        void restart(String member) throws Exception;

        /** One write through {@code member}; completes normally once acknowledged. */
        CompletableFuture<Void> write(String member, int writer, long seq);

        @Override
        void close();
    }

    private volatile boolean running = true;
    private final ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-backoff");
        t.setDaemon(true);
        return t;
    });

    public static void main(String[] args) {
        System.exit(new CommandLine(new FailoverGapBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = (workDir != null ? workDir : Path.of("bench/target/runs", "failover-" + system + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        Files.createDirectories(dir);
        System.out.println("# failover gap benchmark, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.printf(Locale.ROOT, "# system=%s kills=%d clients=%d deadline=%dms settle=%ds after=%ds rejoin=%ds election=%dms%n",
                system, kills, clients, deadlineMs, settleS, afterS, rejoinS, electionTimeoutMs);
        System.out.println("# work dir: " + dir);
        try (Cluster cluster = system == SystemUnderTest.muster ? new MusterCluster(dir) : new EtcdCluster(dir)) {
            String leader = cluster.awaitLeader();
            Acks[] acks = new Acks[clients];
            for (int c = 0; c < clients; c++) {
                acks[c] = new Acks();
                int writer = c;
                new Writer(cluster, writer, acks[c]).next();
            }
            System.out.println();
            System.out.println("| cycle | killed | longest gap ms | gap began ms after the kill | new leader | acks/s before |");
            System.out.println("|---:|---|---:|---:|---|---:|");
            List<Double> gaps = new ArrayList<>();
            for (int k = 1; k <= kills; k++) {
                leader = cluster.awaitLeader();
                Thread.sleep(TimeUnit.SECONDS.toMillis(settleS));
                for (Acks a : acks) {
                    a.drain();
                }
                Thread.sleep(2000);
                long killAt = System.nanoTime();
                cluster.kill(leader);
                Thread.sleep(TimeUnit.SECONDS.toMillis(afterS));
                long[] all = merge(acks);
                long before = Arrays.stream(all).filter(t -> t < killAt).count();
                // the longest stretch without an acknowledgement from the last one before the kill on:
                // calls already in flight may still be acknowledged just after it (committed before it,
                // or by a member that had not noticed yet), so the first ack after the kill is not the end
                double gap = Double.NaN;
                double gapStartMs = Double.NaN;
                long previous = Long.MIN_VALUE;
                for (long t : all) {
                    if (t >= killAt && previous != Long.MIN_VALUE && (Double.isNaN(gap) || (t - previous) / 1e6 > gap)) {
                        gap = (t - previous) / 1e6;
                        gapStartMs = (previous - killAt) / 1e6;
                    }
                    previous = t;
                }
                double first = gapStartMs;
                String newLeader = cluster.awaitLeader();
                System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.0f | %s | %,.0f |%n", k, leader, gap, first, newLeader,
                        all.length == 0 ? 0 : before / ((killAt - all[0]) / 1e9));
                gaps.add(gap);
                cluster.restart(leader);
                Thread.sleep(TimeUnit.SECONDS.toMillis(rejoinS));
            }
            running = false;
            double[] g = gaps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.println();
            System.out.printf(Locale.ROOT, "## %s: median gap %.0f ms, min %.0f, max %.0f over %d kills%n", system,
                    g.length % 2 == 1 ? g[g.length / 2] : (g[g.length / 2 - 1] + g[g.length / 2]) / 2, g[0], g[g.length - 1], g.length);
        }
        return 0;
    }

    private static long[] merge(Acks[] acks) {
        long[] all = new long[0];
        for (Acks a : acks) {
            long[] d = a.drain();
            long[] m = Arrays.copyOf(all, all.length + d.length);
            System.arraycopy(d, 0, m, all.length, d.length);
            all = m;
        }
        Arrays.sort(all);
        return all;
    }

    /** A closed-loop writer: round-robin over the members, 10 ms pause after an error. */
    private final class Writer {
        private final Cluster cluster;
        private final int index;
        private final Acks acks;
        private long seq;
        private int rr;

        Writer(Cluster cluster, int index, Acks acks) {
            this.cluster = cluster;
            this.index = index;
            this.acks = acks;
            this.rr = index;
        }

        void next() {
            if (!running) {
                return;
            }
            List<String> ms = cluster.members();
            String member = ms.get(rr++ % ms.size());
            cluster.write(member, index, seq++).orTimeout(deadlineMs, TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
                if (e == null) {
                    acks.add(System.nanoTime());
                    next();
                } else {
                    backoff.schedule(this::next, 10, TimeUnit.MILLISECONDS);
                }
            });
        }
    }

    private final class MusterCluster implements Cluster {
        private final ProcessCluster cluster;
        private final java.util.Map<String, ManagedChannel> channels = new java.util.HashMap<>();

        MusterCluster(Path dir) {
            cluster = ProcessCluster.builder(dir).size(3).electionTimeoutMs(electionTimeoutMs).jvmOptions(nodeJvmOpts).start();
            for (ProcessCluster.Member m : cluster.members()) {
                channels.put(m.id(), NettyChannelBuilder.forTarget(m.grpcAddress()).usePlaintext().directExecutor().build());
            }
        }

        @Override
        public List<String> members() {
            return cluster.members().stream().map(ProcessCluster.Member::id).toList();
        }

        @Override
        public String awaitLeader() {
            return cluster.awaitLeader(Duration.ofSeconds(60)).id();
        }

        @Override
        public void kill(String member) {
            cluster.kill(member);
        }

        @Override
        public void restart(String member) {
            cluster.startNode(member);
        }

        @Override
        public CompletableFuture<Void> write(String member, int writer, long seq) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            RegisterRequest req = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("bench")
                    .setId("w" + writer + "-" + (seq % 1000)).setHost("10.0." + writer + "." + (seq % 250)).setPort(8080)
                    .setLeaseTtlMs(600_000)).build();
            RegistryGrpc.newStub(channels.get(member)).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                    .register(req, new StreamObserver<RegisterResponse>() {
                        @Override
                        public void onNext(RegisterResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            f.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            f.complete(null);
                        }
                    });
            return f;
        }

        @Override
        public void close() {
            channels.values().forEach(ManagedChannel::shutdownNow);
            cluster.close();
        }
    }

    private final class EtcdCluster implements Cluster {
        private final List<String> names = new ArrayList<>();
        private final java.util.Map<String, List<String>> commands = new java.util.HashMap<>();
        private final java.util.Map<String, Process> processes = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<String, Client> clients = new java.util.HashMap<>();
        private final java.util.Map<String, String> urls = new java.util.HashMap<>();
        private final Path dir;

        EtcdCluster(Path dir) throws IOException {
            this.dir = dir;
            List<int[]> ports = new ArrayList<>();
            StringBuilder initial = new StringBuilder();
            for (int i = 1; i <= 3; i++) {
                int[] p = {freePort(), freePort()};
                ports.add(p);
                names.add("e" + i);
                initial.append(initial.isEmpty() ? "" : ",").append("e").append(i).append("=http://127.0.0.1:").append(p[1]);
            }
            for (int i = 0; i < 3; i++) {
                String name = names.get(i);
                String client = "http://127.0.0.1:" + ports.get(i)[0];
                String peer = "http://127.0.0.1:" + ports.get(i)[1];
                urls.put(name, client);
                commands.put(name, List.of(etcd.toString(), "--name", name, "--data-dir", dir.resolve(name).toString(),
                        "--listen-client-urls", client, "--advertise-client-urls", client,
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--initial-cluster", initial.toString(), "--initial-cluster-state", "new",
                        "--initial-cluster-token", "failover-" + dir.getFileName(),
                        "--heartbeat-interval", "100", "--election-timeout", Integer.toString(electionTimeoutMs),
                        "--logger", "zap", "--log-outputs", "stderr"));
                restart(name);
                clients.put(name, Client.builder().endpoints(client).build());
            }
        }

        private int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0)) {
                return s.getLocalPort();
            }
        }

        @Override
        public List<String> members() {
            return names;
        }

        @Override
        public String awaitLeader() throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until) {
                for (String n : names) {
                    if (!processes.containsKey(n)) {
                        continue;
                    }
                    try {
                        var s = clients.get(n).getMaintenanceClient().statusMember(urls.get(n)).get(1, TimeUnit.SECONDS);
                        if (s.getLeader() != 0 && s.getLeader() == s.getHeader().getMemberId()) {
                            return n;
                        }
                    } catch (Exception notYet) {
                        // not serving
                    }
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("no etcd leader within 60 s");
        }

        @Override
        public void kill(String member) throws InterruptedException {
            Process p = processes.remove(member);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void restart(String member) throws IOException {
            processes.put(member, new ProcessBuilder(commands.get(member)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(member + ".log").toFile())).start());
        }

        @Override
        public CompletableFuture<Void> write(String member, int writer, long seq) {
            return clients.get(member).getKVClient().put(ByteSequence.from("bench/w" + writer + "-" + (seq % 1000), StandardCharsets.UTF_8),
                    ByteSequence.from("10.0." + writer + "." + (seq % 250) + ":8080", StandardCharsets.UTF_8)).thenAccept(r -> { });
        }

        @Override
        public void close() {
            clients.values().forEach(Client::close);
            processes.values().forEach(Process::destroyForcibly);
        }
    }
}
