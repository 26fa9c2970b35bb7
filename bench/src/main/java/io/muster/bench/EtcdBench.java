package io.muster.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.muster.api.v1.Instance;
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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The etcd side of the issue-24 comparison: the same closed-loop driver as {@link RegisterBench}
 * (one call in flight per client, the same clients, deadline, warm-up, runs, histogram and CPU
 * accounting), against a local 3-member etcd cluster (Debian's {@code etcd-server}, fsync on as
 * etcd always does, the heartbeat and election timeout given here) driven through jetcd.
 *
 * <p>Operations: {@code put} (a plain Put of a key per instance, value the same {@code Instance}
 * protobuf a Muster Register carries), {@code lease-put} (LeaseGrant then Put with that lease: what a
 * Muster Register with a lease does in one call), {@code get} (linearizable Get of one key, against
 * Muster's LINEARIZABLE Discover) and {@code get-serializable} (against Muster's LOCAL Discover).
 * {@code --target leader} sends every call to the leader, {@code all} spreads them round-robin over
 * the members as {@link RegisterBench} does.
 */
@Command(name = "etcd-bench", mixinStandardHelpOptions = true,
        description = "Benchmarks etcd (Put, LeaseGrant+Put, Get) with the RegisterBench driver, for docs/benchmarks.md.")
public final class EtcdBench implements Callable<Integer> {

    enum Target { all, leader }

    enum Op { put, lease_put, get, get_serializable }

    @Option(names = "--etcd", defaultValue = "/usr/bin/etcd", description = "The etcd binary (default ${DEFAULT-VALUE})")
    Path etcd;
    @Option(names = "--op", defaultValue = "put", description = "put, lease_put, get or get_serializable (default ${DEFAULT-VALUE})")
    Op op;
    @Option(names = "--clients", defaultValue = "64", description = "Concurrent closed-loop clients (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--duration-s", defaultValue = "20", description = "Measured seconds per run (default ${DEFAULT-VALUE})")
    int durationS;
    @Option(names = "--warmup-s", defaultValue = "5", description = "Unrecorded seconds before each run (default ${DEFAULT-VALUE})")
    int warmupS;
    @Option(names = "--runs", defaultValue = "3", description = "Runs; the summary is the median (default ${DEFAULT-VALUE})")
    int runs;
    @Option(names = "--target", defaultValue = "all", description = "all (round-robin over the members) or leader (default ${DEFAULT-VALUE})")
    Target target;
    @Option(names = "--instances", defaultValue = "1000", description = "Keys per client, cycled (default ${DEFAULT-VALUE})")
    int instances;
    @Option(names = "--lease-ttl-s", defaultValue = "600", description = "TTL of lease_put's leases (default ${DEFAULT-VALUE})")
    int leaseTtlS;
    @Option(names = "--deadline-ms", defaultValue = "5000", description = "Deadline of each call (default ${DEFAULT-VALUE})")
    long deadlineMs;
    @Option(names = "--heartbeat-ms", defaultValue = "100", description = "etcd --heartbeat-interval (default ${DEFAULT-VALUE})")
    int heartbeatMs;
    @Option(names = "--election-timeout-ms", defaultValue = "1000", description = "etcd --election-timeout (default ${DEFAULT-VALUE})")
    int electionTimeoutMs;
    @Option(names = "--work-dir", description = "Data dirs and member logs (default bench/target/runs/etcd-<time>)")
    Path workDir;

    private static final int PHASE_WARMUP = 0;
    private static final int PHASE_MEASURE = 1;
    private static final int PHASE_STOP = 2;
    private static final ByteSequence GET_KEY = bytes("bench-baseline/one");

    private volatile int phase;
    private final ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-backoff");
        t.setDaemon(true);
        return t;
    });

    record Member(String name, String clientUrl, String peerUrl, Process process) {
    }

    record RunResult(int run, double seconds, long ok, long errors, Map<String, Long> errorKinds, double throughput,
                     double p50, double p99, double p999, double max, double mean, double[] memberCpu) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EtcdBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || durationS < 1 || warmupS < 0 || runs < 1 || instances < 1 || leaseTtlS < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts must be positive");
        }
        Path dir = (workDir != null ? workDir : Path.of("bench/target/runs",
                "etcd-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        Files.createDirectories(dir);
        System.out.println("# etcd benchmark (RegisterBench's driver), " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.println("# " + version());
        System.out.printf(Locale.ROOT, "# op=%s clients=%d target=%s keys/client=%d warmup=%ds duration=%ds runs=%d deadline=%dms heartbeat=%dms election=%dms%n",
                op, clients, target, instances, warmupS, durationS, runs, deadlineMs, heartbeatMs, electionTimeoutMs);
        System.out.println("# work dir (member logs): " + dir);

        List<Member> members = start(dir, 3);
        Thread hook = new Thread(() -> members.forEach(m -> m.process().destroyForcibly()), "etcd-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        List<Client> etcdClients = new ArrayList<>();
        try {
            // one jetcd client per member, each pinned to that member's endpoint (as RegisterBench's channels)
            for (Member m : members) {
                etcdClients.add(Client.builder().endpoints(m.clientUrl()).build());
            }
            int leader = awaitLeader(etcdClients, members);
            System.out.println("# leader " + members.get(leader).name());
            etcdClients.get(leader).getKVClient().put(GET_KEY, bytes("x".repeat(64))).get(10, TimeUnit.SECONDS);

            Driver[] ds = new Driver[clients];
            for (int c = 0; c < clients; c++) {
                ds[c] = new Driver(c);
            }
            List<RunResult> results = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                leader = awaitLeader(etcdClients, members);
                for (int c = 0; c < clients; c++) {
                    Client[] use;
                    if (target == Target.leader) {
                        use = new Client[] {etcdClients.get(leader)};
                    } else {
                        use = new Client[members.size()];
                        for (int i = 0; i < members.size(); i++) {
                            use[i] = etcdClients.get((i + c) % members.size());
                        }
                    }
                    ds[c].prepare(use);
                }
                RunResult r = runOnce(run, members, ds);
                results.add(r);
                print(List.of(r), members, "Run " + run);
            }
            print(results, members, "All runs");
            System.out.println();
            System.out.printf(Locale.ROOT, "## Median of %d runs (%s, %d clients, target %s, %d s each after %d s warm-up)%n",
                    results.size(), op, clients, target, durationS, warmupS);
            System.out.println("| calls/s | p50 ms | p99 ms | p99.9 ms | errors | member CPU µs/call |");
            System.out.println("|---:|---:|---:|---:|---:|---:|");
            System.out.printf(Locale.ROOT, "| %,.0f | %.2f | %.2f | %.2f | %.0f | %.0f |%n",
                    median(results, RunResult::throughput), median(results, RunResult::p50), median(results, RunResult::p99),
                    median(results, RunResult::p999), median(results, RunResult::errors), median(results, EtcdBench::cpuMicrosPerCall));
            return 0;
        } finally {
            etcdClients.forEach(Client::close);
            for (Member m : members) {
                m.process().destroy();
            }
            for (Member m : members) {
                if (!m.process().waitFor(10, TimeUnit.SECONDS)) {
                    m.process().destroyForcibly();
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    private String version() {
        try {
            Process p = new ProcessBuilder(etcd.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("?");
            p.waitFor(10, TimeUnit.SECONDS);
            return "etcd: " + out;
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--etcd " + etcd + ": cannot run it (" + e.getMessage()
                    + "); Debian: apt-get install etcd-server");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "etcd: ?";
        }
    }

    private List<Member> start(Path dir, int n) throws IOException {
        List<String> names = new ArrayList<>();
        List<int[]> ports = new ArrayList<>();
        StringBuilder initial = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            int[] p = {freePort(), freePort()};
            names.add("e" + i);
            ports.add(p);
            initial.append(initial.isEmpty() ? "" : ",").append("e").append(i).append("=http://127.0.0.1:").append(p[1]);
        }
        List<Member> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String client = "http://127.0.0.1:" + ports.get(i)[0];
            String peer = "http://127.0.0.1:" + ports.get(i)[1];
            Path data = dir.resolve(names.get(i));
            Process p = new ProcessBuilder(etcd.toString(), "--name", names.get(i), "--data-dir", data.toString(),
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", initial.toString(), "--initial-cluster-state", "new",
                    "--initial-cluster-token", "bench-" + dir.getFileName(),
                    "--heartbeat-interval", Integer.toString(heartbeatMs), "--election-timeout", Integer.toString(electionTimeoutMs),
                    "--logger", "zap", "--log-outputs", "stderr")
                    .redirectErrorStream(true).redirectOutput(dir.resolve(names.get(i) + ".log").toFile()).start();
            ms.add(new Member(names.get(i), client, peer, p));
        }
        return ms;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The index of the member that leads, once one does and answers (60 s at most). */
    private static int awaitLeader(List<Client> cs, List<Member> ms) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            for (int i = 0; i < cs.size(); i++) {
                try {
                    var status = cs.get(i).getMaintenanceClient().statusMember(ms.get(i).clientUrl()).get(2, TimeUnit.SECONDS);
                    if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
                        return i;
                    }
                } catch (Exception notYet) {
                    // not serving yet
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no etcd leader within 60 s");
    }

    private RunResult runOnce(int run, List<Member> ms, Driver[] ds) throws Exception {
        phase = PHASE_WARMUP;
        CountDownLatch stopped = new CountDownLatch(ds.length);
        for (Driver d : ds) {
            d.start(stopped);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(warmupS));
        long[] before = cpu(ms);
        long start = System.nanoTime();
        phase = PHASE_MEASURE;
        Thread.sleep(TimeUnit.SECONDS.toMillis(durationS));
        phase = PHASE_STOP;
        long measured = System.nanoTime() - start;
        long[] after = cpu(ms);
        if (!stopped.await(deadlineMs + 5000, TimeUnit.MILLISECONDS)) {
            System.out.println("# warning: " + stopped.getCount() + " clients did not finish their last call");
        }
        Histogram merged = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long ok = 0;
        long errors = 0;
        Map<String, Long> kinds = new TreeMap<>();
        for (Driver d : ds) {
            synchronized (d) {
                merged.add(d.histogram);
                ok += d.ok;
                errors += d.errors;
                d.errorKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
            }
        }
        double[] memberCpu = new double[ms.size()];
        for (int i = 0; i < ms.size(); i++) {
            memberCpu[i] = before[i] < 0 || after[i] < 0 ? Double.NaN : 100.0 * (after[i] - before[i]) / measured;
        }
        double seconds = measured / 1e9;
        return new RunResult(run, seconds, ok, errors, kinds, ok / seconds, merged.getValueAtPercentile(50) / 1000.0,
                merged.getValueAtPercentile(99) / 1000.0, merged.getValueAtPercentile(99.9) / 1000.0,
                merged.getMaxValue() / 1000.0, merged.getMean() / 1000.0, memberCpu);
    }

    private static long[] cpu(List<Member> ms) {
        return ms.stream().mapToLong(m -> m.process().toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L)).toArray();
    }

    static double cpuMicrosPerCall(RunResult r) {
        return r.ok() == 0 ? 0 : Arrays.stream(r.memberCpu()).sum() / 100 * r.seconds() * 1e6 / r.ok();
    }

    static double median(List<RunResult> rs, java.util.function.ToDoubleFunction<RunResult> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private void print(List<RunResult> rs, List<Member> ms, String title) {
        System.out.println();
        System.out.println("## " + title);
        StringBuilder h = new StringBuilder("| run | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | mean ms | ok | errors |");
        StringBuilder sep = new StringBuilder("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Member m : ms) {
            h.append(" CPU ").append(m.name()).append(" % |");
            sep.append("---:|");
        }
        h.append(" member CPU µs/call |");
        sep.append("---:|");
        System.out.println(h);
        System.out.println(sep);
        for (RunResult r : rs) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %,.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d |",
                    r.run(), r.throughput(), r.p50(), r.p99(), r.p999(), r.max(), r.mean(), r.ok(), r.errors()));
            for (double c : r.memberCpu()) {
                row.append(String.format(Locale.ROOT, " %.0f |", c));
            }
            row.append(String.format(Locale.ROOT, " %.0f |", cpuMicrosPerCall(r)));
            System.out.println(row);
            if (!r.errorKinds().isEmpty()) {
                System.out.println("  errors by kind: " + r.errorKinds());
            }
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** One closed-loop client: one call in flight at a time. */
    final class Driver {
        final int index;
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        final Map<String, Long> errorKinds = new TreeMap<>();
        long ok;
        long errors;
        long seq;
        private Client[] use;
        private int rr;
        private CountDownLatch stopped;
        private final ByteSequence[] keys;
        private final ByteSequence[] values;

        Driver(int index) {
            this.index = index;
            keys = new ByteSequence[instances];
            values = new ByteSequence[instances];
            for (int k = 0; k < instances; k++) {
                String id = "c" + index + "-" + k;
                keys[k] = bytes("bench/" + id);
                // the bytes a Muster Register carries for the same instance (RegisterBench.request)
                values[k] = ByteSequence.from(Instance.newBuilder().setService("bench").setId(id)
                        .setHost("10." + (index & 0xff) + "." + ((k >> 8) & 0xff) + "." + (k & 0xff)).setPort(8080)
                        .addTags("bench").putMetadata("version", "1.0.0").setLeaseTtlMs(leaseTtlS * 1000L).build().toByteArray());
            }
        }

        synchronized void prepare(Client[] use) {
            this.use = use;
            histogram.reset();
            errorKinds.clear();
            ok = 0;
            errors = 0;
        }

        void start(CountDownLatch stopped) {
            this.stopped = stopped;
            next();
        }

        void next() {
            if (phase == PHASE_STOP) {
                stopped.countDown();
                return;
            }
            int k = (int) (seq++ % instances);
            Client c = use[rr++ % use.length];
            KV kv = c.getKVClient();
            long started = System.nanoTime();
            CompletableFuture<?> f = switch (op) {
                case put -> kv.put(keys[k], values[k]);
                case lease_put -> {
                    Lease lease = c.getLeaseClient();
                    yield lease.grant(leaseTtlS).thenCompose(g -> kv.put(keys[k], values[k], PutOption.builder().withLeaseId(g.getID()).build()));
                }
                case get -> kv.get(GET_KEY);
                case get_serializable -> kv.get(GET_KEY, GetOption.builder().withSerializable(true).build());
            };
            f.orTimeout(deadlineMs, TimeUnit.MILLISECONDS).whenComplete((r, e) -> done(started, e));
        }

        private void done(long started, Throwable error) {
            long micros = (System.nanoTime() - started) / 1000;
            if (phase == PHASE_MEASURE) {
                synchronized (this) {
                    if (error == null) {
                        ok++;
                        histogram.recordValue(Math.min(micros, histogram.getHighestTrackableValue()));
                    } else {
                        errors++;
                        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                        errorKinds.merge(cause.getClass().getSimpleName(), 1L, Long::sum);
                    }
                }
            }
            if (error == null) {
                next();
            } else {
                backoff.schedule(this::next, 10, TimeUnit.MILLISECONDS);
            }
        }
    }
}
