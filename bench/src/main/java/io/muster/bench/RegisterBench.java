package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.testkit.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Registration throughput / latency of a 3-node Muster cluster started as separate JVMs.
 *
 * <p>Each client is a closed loop with exactly one {@code Registry.Register} in flight: it sends the
 * next request when the previous one completed (5 s deadline each). Latency is recorded in an
 * HdrHistogram (µs) for calls that complete inside the measurement window; throughput is successful
 * calls completed inside the window divided by its length. Every run is preceded by a warm-up whose
 * calls are not recorded. The cluster is started once and serves every run.
 */
@Command(name = "register-bench", mixinStandardHelpOptions = true,
        description = "Benchmarks Registry.Register against a local 3-node Muster cluster.")
public final class RegisterBench implements Callable<Integer> {

    enum Target { all, leader }

    enum Op { register, discover_local, discover_linearizable }

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent closed-loop clients (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--duration-s", defaultValue = "20", description = "Measured seconds per run (default ${DEFAULT-VALUE})")
    int durationS;
    @Option(names = "--warmup-s", defaultValue = "5", description = "Unrecorded seconds before each run (default ${DEFAULT-VALUE})")
    int warmupS;
    @Option(names = "--first-warmup-s", defaultValue = "-1",
            description = "Unrecorded seconds before the first run only; -1 = --warmup-s (the node JVMs keep getting faster for minutes)")
    int firstWarmupS;
    @Option(names = "--runs", defaultValue = "3", description = "Runs; the summary is the median (default ${DEFAULT-VALUE})")
    int runs;
    @Option(names = "--target", defaultValue = "all",
            description = "all: each client sends round-robin to every node (followers forward to the leader); leader: only to the leader (default ${DEFAULT-VALUE})")
    Target target;
    @Option(names = "--instances", defaultValue = "1000",
            description = "Distinct instance ids each client cycles through; after the first pass a Register updates an existing instance (default ${DEFAULT-VALUE})")
    int instances;
    @Option(names = "--unique", description = "Every Register creates a new instance (ignores --instances)")
    boolean unique;
    @Option(names = "--lease-ttl-ms", defaultValue = "600000",
            description = "Lease TTL of the registered instances; long, so that no lease expires during the benchmark (default ${DEFAULT-VALUE})")
    long leaseTtlMs;
    @Option(names = "--deadline-ms", defaultValue = "5000", description = "Deadline of each call (default ${DEFAULT-VALUE})")
    long deadlineMs;
    @Option(names = "--channels-per-node", defaultValue = "1",
            description = "ManagedChannels (HTTP/2 connections) per node, shared by the clients (default ${DEFAULT-VALUE})")
    int channelsPerNode;
    @Option(names = "--acl", description = "Members run with --acl-enabled and the clients send the bootstrap token (docs/security.md)")
    boolean acl;
    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size (default ${DEFAULT-VALUE})")
    int nodes;
    @Option(names = "--election-timeout-ms", defaultValue = "1000", description = "Raft election timeout of the nodes (default ${DEFAULT-VALUE})")
    int electionTimeoutMs;
    @Option(names = "--node-jvm-opts", defaultValue = "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -XX:+UseSerialGC", split = " ",
            description = "JVM options of every node, space separated; replaces the default, the member flags of docs/operations.md (default ${DEFAULT-VALUE})")
    List<String> nodeJvmOpts;
    @Option(names = "--work-dir",
            description = "Directory for node logs / data (default: bench/target/runs/<time> or target/runs/<time> when run from the module, else a temp dir)")
    Path workDir;
    @Option(names = "--op", defaultValue = "register",
            description = "register (default), discover_local: a Discover with LOCAL consistency of an empty service, i.e. a gRPC round trip without Raft, as a baseline, "
                    + "or discover_linearizable: the same Discover with LINEARIZABLE consistency (a ReadIndex round on the leader)")
    Op op;
    @Option(names = "--peer-tls", description = "Members talk mutual TLS (--peer-tls-cert/-key/-ca): a cluster CA and a member "
            + "certificate per node are created in the work dir")
    boolean peerTls;
    @Option(names = "--tls", description = "The public port (and metrics port) over TLS (--tls-cert/-key, --tls-client-ca, "
            + "--tls-client-auth require): the clients dial with the cluster CA and a client certificate")
    boolean tls;
    @Option(names = "--thread-dumps", defaultValue = "0",
            description = "jstack every node this many times, evenly spread over each measured window; files go to the work dir (default ${DEFAULT-VALUE})")
    int threadDumps;

    private static final DiscoverRequest BASELINE = DiscoverRequest.newBuilder()
            .setService("bench-baseline").setConsistency(Consistency.LOCAL).build();
    private static final DiscoverRequest BASELINE_LINEARIZABLE = BASELINE.toBuilder().setConsistency(Consistency.LINEARIZABLE).build();
    private static final int PHASE_WARMUP = 0;
    private static final int PHASE_MEASURE = 1;
    private static final int PHASE_STOP = 2;

    private volatile int phase;
    private final ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-backoff");
        t.setDaemon(true);
        return t;
    });

    /** Result of one run. */
    record RunResult(int run, String leader, double seconds, long ok, long errors, Map<Status.Code, Long> errorCodes,
                     double throughput, double p50, double p99, double p999, double max, double mean,
                     double[] nodeCpu, double benchCpu, double machineBusy, RaftCounters raft) {
    }

    /**
     * The leader's group-commit counters over a window (from its /metrics): log entries proposed,
     * commands in them, and heartbeat rounds that pushed the commit index. Absent (-1) when the
     * scrape failed.
     */
    record RaftCounters(double entries, double commands, double pushRounds) {
        static final RaftCounters UNKNOWN = new RaftCounters(-1, -1, -1);

        static RaftCounters scrape(ProcessCluster cluster, ProcessCluster.Member n) {
            try {
                String text = cluster.metricsText(n);
                return new RaftCounters(value(text, "muster_raft_proposed_entries_total"),
                        value(text, "muster_raft_proposed_commands_total"), value(text, "muster_raft_commit_push_rounds_total"));
            } catch (IOException | RuntimeException e) {
                return UNKNOWN;
            }
        }

        private static double value(String text, String name) {
            for (String line : text.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            throw new IllegalStateException("no " + name);
        }

        RaftCounters minus(RaftCounters o) {
            if (entries < 0 || o.entries < 0) {
                return UNKNOWN;
            }
            return new RaftCounters(entries - o.entries, commands - o.commands, pushRounds - o.pushRounds);
        }
    }

    public static void main(String[] args) {
        int code = new CommandLine(new RegisterBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || durationS < 1 || warmupS < 0 || firstWarmupS < -1 || runs < 1 || instances < 1 || channelsPerNode < 1 || nodes < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts must be positive");
        }
        Path dir = workDir != null ? workDir : defaultWorkDir();
        System.out.println("# Muster register benchmark, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.printf(Locale.ROOT, "# op=%s clients=%d target=%s %s leaseTtlMs=%d firstWarmup=%ds warmup=%ds duration=%ds runs=%d nodes=%d channelsPerNode=%d deadline=%dms nodeJvmOpts=%s%n",
                op, clients, target, unique ? "unique instances" : "instances/client=" + instances, leaseTtlMs, firstWarmupS >= 0 ? firstWarmupS : warmupS, warmupS, durationS,
                runs, nodes, channelsPerNode, deadlineMs, String.join(" ", nodeJvmOpts));
        System.out.println("# work dir (node logs): " + dir.toAbsolutePath());
        SecureSetup security = SecureSetup.create(dir, tls, peerTls, acl);
        System.out.println(security.describe());

        ProcessCluster cluster = security.applyTo(ProcessCluster.builder(dir).size(nodes).electionTimeoutMs(electionTimeoutMs)
                .jvmOptions(nodeJvmOpts)).start();
        Thread hook = new Thread(cluster::close, "bench-cluster-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        List<ManagedChannel> allChannels = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
            System.out.printf(Locale.ROOT, "# leader %s after %.1f s%n", leader.id(), (System.nanoTime() - t0) / 1e9);

            List<ProcessCluster.Member> ns = cluster.members();
            io.grpc.ClientInterceptor token = security.token(ns);
            // channels[node][k]
            ManagedChannel[][] channels = new ManagedChannel[ns.size()][channelsPerNode];
            for (int i = 0; i < ns.size(); i++) {
                for (int k = 0; k < channelsPerNode; k++) {
                    NettyChannelBuilder cb = cluster.channelTo(ns.get(i).grpcAddress())
                            .directExecutor();
                    if (token != null) {
                        cb.intercept(token);
                    }
                    ManagedChannel ch = cb.build();
                    channels[i][k] = ch;
                    allChannels.add(ch);
                }
            }
            Client[] cs = new Client[clients];
            for (int c = 0; c < clients; c++) {
                cs[c] = new Client(c);
            }

            List<RunResult> results = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                leader = cluster.awaitLeader(Duration.ofSeconds(30));
                int leaderIndex = ns.indexOf(leader);
                for (int c = 0; c < clients; c++) {
                    RegistryGrpc.RegistryStub[] stubs;
                    if (target == Target.leader) {
                        stubs = new RegistryGrpc.RegistryStub[] {RegistryGrpc.newStub(channels[leaderIndex][c % channelsPerNode])};
                    } else {
                        stubs = new RegistryGrpc.RegistryStub[ns.size()];
                        for (int i = 0; i < ns.size(); i++) {
                            // clients start on different nodes, then go round-robin
                            stubs[i] = RegistryGrpc.newStub(channels[(i + c) % ns.size()][c % channelsPerNode]);
                        }
                    }
                    cs[c].prepare(stubs);
                }
                RunResult r = runOnce(run, leader, cluster, cs);
                results.add(r);
                printRuns(List.of(r), ns, "Run " + run);
            }
            printRuns(results, ns, "All runs");
            printSummary(results);
            return 0;
        } finally {
            allChannels.forEach(ManagedChannel::shutdownNow);
            cluster.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    private RunResult runOnce(int run, ProcessCluster.Member leader, ProcessCluster cluster, Client[] cs) throws Exception {
        phase = PHASE_WARMUP;
        CountDownLatch stopped = new CountDownLatch(cs.length);
        for (Client c : cs) {
            c.start(stopped);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(run == 1 && firstWarmupS >= 0 ? firstWarmupS : warmupS));

        List<ProcessCluster.Member> ns = cluster.members();
        CpuSample before = CpuSample.take(cluster, ns);
        RaftCounters raftBefore = RaftCounters.scrape(cluster, leader);
        long start = System.nanoTime();
        phase = PHASE_MEASURE;
        long end = start + TimeUnit.SECONDS.toNanos(durationS);
        if (threadDumps > 0) {
            for (int d = 1; d <= threadDumps; d++) {
                long at = start + (end - start) * d / (threadDumps + 1);
                sleepUntil(at);
                for (ProcessCluster.Member n : ns) {
                    jstack(cluster.pid(n.id()), cluster.workDir().resolve(String.format(Locale.ROOT, "jstack-run%d-%s%s-%d.txt",
                            run, n.id(), n == leader ? "-leader" : "", d)));
                }
            }
        }
        sleepUntil(end);
        phase = PHASE_STOP;
        long measuredNanos = System.nanoTime() - start;
        CpuSample after = CpuSample.take(cluster, ns);
        RaftCounters raftDelta = RaftCounters.scrape(cluster, leader).minus(raftBefore);
        if (!stopped.await(deadlineMs + 5000, TimeUnit.MILLISECONDS)) {
            System.out.println("# warning: " + stopped.getCount() + " clients did not finish their last call");
        }

        Histogram merged = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long ok = 0;
        long errors = 0;
        Map<Status.Code, Long> codes = new EnumMap<>(Status.Code.class);
        for (Client c : cs) {
            synchronized (c) {
                merged.add(c.histogram);
                ok += c.ok;
                errors += c.errors;
                c.errorCodes.forEach((k, v) -> codes.merge(k, v, Long::sum));
            }
        }
        double seconds = measuredNanos / 1e9;
        double[] nodeCpu = new double[ns.size()];
        for (int i = 0; i < ns.size(); i++) {
            nodeCpu[i] = CpuSample.percent(before.nodes[i], after.nodes[i], measuredNanos);
        }
        return new RunResult(run, leader.id(), seconds, ok, errors, codes, ok / seconds,
                merged.getValueAtPercentile(50) / 1000.0, merged.getValueAtPercentile(99) / 1000.0,
                merged.getValueAtPercentile(99.9) / 1000.0, merged.getMaxValue() / 1000.0, merged.getMean() / 1000.0,
                nodeCpu, CpuSample.percent(before.self, after.self, measuredNanos),
                CpuSample.machinePercent(before, after), raftDelta);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static void jstack(long pid, Path out) {
        Path jstack = Path.of(System.getProperty("java.home"), "bin", "jstack");
        try {
            Process p = new ProcessBuilder(jstack.toString(), Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            System.out.println("# jstack failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Path defaultWorkDir() throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        for (String base : List.of("bench/target", "target")) {
            if (Files.isDirectory(Path.of(base))) {
                return Path.of(base, "runs", stamp);
            }
        }
        return Files.createTempDirectory("muster-bench-" + stamp);
    }

    /** One closed-loop client: one call in flight at a time. */
    final class Client {
        final int index;
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        final Map<Status.Code, Long> errorCodes = new EnumMap<>(Status.Code.class);
        long ok;
        long errors;
        /** Sequence over the whole benchmark: instance ids continue across runs. */
        long seq;
        private RegistryGrpc.RegistryStub[] stubs;
        private int rr;
        private CountDownLatch stopped;
        private final RegisterRequest[] cycle;

        Client(int index) {
            this.index = index;
            this.cycle = unique ? null : new RegisterRequest[instances];
            if (!unique) {
                for (int k = 0; k < instances; k++) {
                    cycle[k] = request("c" + index + "-" + k, k);
                }
            }
        }

        synchronized void prepare(RegistryGrpc.RegistryStub[] stubs) {
            this.stubs = stubs;
            histogram.reset();
            errorCodes.clear();
            ok = 0;
            errors = 0;
        }

        void start(CountDownLatch stopped) {
            this.stopped = stopped;
            next();
        }

        private RegisterRequest request(String id, long k) {
            return RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
                            .setService("bench")
                            .setId(id)
                            .setHost("10." + (index & 0xff) + "." + ((k >> 8) & 0xff) + "." + (k & 0xff))
                            .setPort(8080)
                            .addTags("bench")
                            .putMetadata("version", "1.0.0")
                            .setLeaseTtlMs(leaseTtlMs))
                    .build();
        }

        void next() {
            if (phase == PHASE_STOP) {
                stopped.countDown();
                return;
            }
            long s = seq++;
            RegisterRequest req = unique ? request("c" + index + "-u" + s, s) : cycle[(int) (s % instances)];
            RegistryGrpc.RegistryStub stub = stubs[rr++ % stubs.length].withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
            long started = System.nanoTime();
            if (op == Op.register) {
                stub.register(req, new Completion<RegisterResponse>(started));
            } else {
                stub.discover(op == Op.discover_local ? BASELINE : BASELINE_LINEARIZABLE, new Completion<DiscoverResponse>(started));
            }
        }

        private final class Completion<T> implements StreamObserver<T> {
            private final long started;

            Completion(long started) {
                this.started = started;
            }

            @Override
            public void onNext(T value) {
            }

            @Override
            public void onError(Throwable t) {
                done(started, Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
                done(started, null);
            }
        }

        private void done(long started, Status.Code error) {
            long micros = (System.nanoTime() - started) / 1000;
            if (phase == PHASE_MEASURE) {
                synchronized (this) {
                    if (error == null) {
                        ok++;
                        histogram.recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
                    } else {
                        errors++;
                        errorCodes.merge(error, 1L, Long::sum);
                    }
                }
            }
            if (error == null) {
                next();
            } else {
                // fail-fast errors (no leader, connection refused) must not spin
                backoff.schedule(this::next, 10, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void printRuns(List<RunResult> rs, List<ProcessCluster.Member> ns, String title) {
        System.out.println();
        System.out.println("## " + title);
        StringBuilder h = new StringBuilder("| run | leader | " + (op == Op.register ? "registrations/s" : "calls/s") + " | p50 ms | p99 ms | p99.9 ms | max ms | mean ms | ok | errors |");
        StringBuilder sep = new StringBuilder("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (ProcessCluster.Member n : ns) {
            h.append(" CPU ").append(n.id()).append(" % |");
            sep.append("---:|");
        }
        h.append(" CPU bench % | CPU machine % | CPU other % | node CPU µs/call | entries/s | commands/entry | push rounds/s |");
        sep.append("---:|---:|---:|---:|---:|---:|---:|");
        System.out.println(h);
        System.out.println(sep);
        for (RunResult r : rs) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d |",
                    r.run(), r.leader(), r.throughput(), r.p50(), r.p99(), r.p999(), r.max(), r.mean(), r.ok(), r.errors()));
            for (double c : r.nodeCpu()) {
                row.append(String.format(Locale.ROOT, " %.0f |", c));
            }
            double other = r.machineBusy() - r.benchCpu() - Arrays.stream(r.nodeCpu()).sum();
            row.append(String.format(Locale.ROOT, " %.0f | %.0f | %.0f | %.0f |", r.benchCpu(), r.machineBusy(), Math.max(0, other),
                    nodeCpuMicrosPerCall(r)));
            RaftCounters rc = r.raft();
            if (rc.entries() < 0) {
                row.append(" ? | ? | ? |");
            } else {
                row.append(String.format(Locale.ROOT, " %,.0f | %.1f | %,.0f |", rc.entries() / r.seconds(),
                        rc.entries() == 0 ? 0 : rc.commands() / rc.entries(), rc.pushRounds() / r.seconds()));
            }
            System.out.println(row);
            if (!r.errorCodes().isEmpty()) {
                System.out.println("  errors by code: " + r.errorCodes());
            }
        }
        System.out.println("(CPU %: 100 = one core busy for the whole measured window; machine % is all processes, "
                + Runtime.getRuntime().availableProcessors() * 100 + " = every core; other = machine - nodes - bench, i.e. processes outside the benchmark;"
                + " node CPU µs/call = CPU time of all nodes in the window / successful calls; on 2 shared cores the nodes' CPU stays flat, so it falls as the rate rises)");
    }

    private void printSummary(List<RunResult> rs) {
        System.out.println();
        System.out.printf(Locale.ROOT, "## Median of %d runs (%s, %d clients, target %s, %s, %d s each after %d s warm-up)%n",
                rs.size(), op, clients, target, unique ? "unique instances" : instances + " instances/client", durationS, warmupS);
        System.out.println("| " + (op == Op.register ? "registrations/s" : "calls/s") + " | p50 ms | p99 ms | p99.9 ms | errors | node CPU µs/call |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| %,.0f | %.2f | %.2f | %.2f | %.0f | %.0f |%n",
                median(rs, RunResult::throughput), median(rs, RunResult::p50), median(rs, RunResult::p99),
                median(rs, RunResult::p999), median(rs, r -> r.errors()), median(rs, RegisterBench::nodeCpuMicrosPerCall));
    }

    /** CPU time of all nodes over the window per successful call, in µs. */
    static double nodeCpuMicrosPerCall(RunResult r) {
        return r.ok() == 0 ? 0 : Arrays.stream(r.nodeCpu()).sum() / 100 * r.seconds() * 1e6 / r.ok();
    }

    static double median(List<RunResult> rs, ToDoubleFunction<RunResult> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** CPU time of the node processes, of this JVM and of the whole machine at one instant. */
    static final class CpuSample {
        final long[] nodes;
        final long self;
        final long[] machine; // {busy jiffies, total jiffies}

        private CpuSample(long[] nodes, long self, long[] machine) {
            this.nodes = nodes;
            this.self = self;
            this.machine = machine;
        }

        static CpuSample take(ProcessCluster cluster, List<ProcessCluster.Member> ns) {
            long[] n = new long[ns.size()];
            for (int i = 0; i < n.length; i++) {
                n[i] = cpuNanos(cluster.processHandle(ns.get(i).id()));
            }
            return new CpuSample(n, cpuNanos(ProcessHandle.current()), MachineInfo.procStat());
        }

        static long cpuNanos(ProcessHandle h) {
            return h.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        }

        static double percent(long before, long after, long wallNanos) {
            return before < 0 || after < 0 ? Double.NaN : 100.0 * (after - before) / wallNanos;
        }

        static double machinePercent(CpuSample a, CpuSample b) {
            if (a.machine == null || b.machine == null) {
                return Double.NaN;
            }
            long busy = b.machine[0] - a.machine[0];
            long total = b.machine[1] - a.machine[1];
            return total <= 0 ? Double.NaN : 100.0 * busy / total * Runtime.getRuntime().availableProcessors();
        }
    }

}
