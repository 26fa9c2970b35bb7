package io.muster.bench;

import io.grpc.ManagedChannel;
import io.muster.api.v1.AddMemberRequest;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.SnapshotChunk;
import io.muster.api.v1.SnapshotRequest;
import io.muster.api.v1.TransferLeadershipRequest;
import io.muster.testkit.ProcessCluster;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 23's "Measure": N instances over S services on three member JVMs ({@link ProcessCluster}),
 * registered by a few client connections with many calls in flight, then, phase by phase (each
 * optional, in this order): heap per member after a full GC and bytes per instance; a follower
 * restarted with no snapshot (whole log replayed); backups and Raft snapshots (size, time); a
 * follower restarted from its snapshot, and all three; a new member joining (snapshot install);
 * {@code Discover} of a 1,000-instance service, local and linearizable; a watch of everything (its
 * initial snapshot); keep-alives of every lease at the rate of a TTL/3 renewal; expiry of 10 % of
 * the leases at once. The loads are in {@link ScaleLoads}. One keep-alive request carries one lease
 * (the API has no multi-lease request), so "multiplexed on few streams" means few streams, each with
 * many leases.
 *
 * <pre>
 * java -Xmx2g -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.ScaleBench \
 *   --instances 1000000 --services 10000
 * </pre>
 */
@Command(name = "scale-bench", mixinStandardHelpOptions = true,
        description = "A million instances on three members: memory, snapshots, restarts, join, reads, watches, leases.")
public final class ScaleBench implements Callable<Integer> {

    enum Phase { heap, restart_log, snapshot, restart_one, restart_all, join, discover, watch, keepalive, expiry }

    @Option(names = "--instances", defaultValue = "1000000", description = "Instances (default ${DEFAULT-VALUE})")
    int instances;
    @Option(names = "--services", defaultValue = "10000", description = "Services they spread over (default ${DEFAULT-VALUE})")
    int services;
    @Option(names = "--big-service", defaultValue = "1000", description = "Instances of the one service Discover reads (default ${DEFAULT-VALUE})")
    int bigService;
    @Option(names = "--clients", defaultValue = "4", description = "Client connections registering, and KeepAlive streams (default ${DEFAULT-VALUE})")
    int clients;
    @Option(names = "--in-flight", defaultValue = "512", description = "Register calls in flight over them (default ${DEFAULT-VALUE})")
    int inFlight;
    @Option(names = "--keepalive-ttl-s", defaultValue = "30",
            description = "The lease TTL whose TTL/3 renewal rate the keep-alive phase sends: instances * 3 / TTL per second (default ${DEFAULT-VALUE})")
    int keepaliveTtlS;
    @Option(names = "--window-s", defaultValue = "15", description = "Measured seconds of the discover and keep-alive phases (default ${DEFAULT-VALUE})")
    int windowS;
    @Option(names = "--expiry-ttl-ms", defaultValue = "30000", description = "TTL the expiring 10 % are re-registered with (default ${DEFAULT-VALUE})")
    long expiryTtlMs;
    @Option(names = "--phases", split = ",", description = "Phases after the registration (default: all): ${COMPLETION-CANDIDATES}")
    Set<Phase> phases = EnumSet.allOf(Phase.class);
    @Option(names = "--member-jvm-opts", split = " ", defaultValue = "-Xms3g -Xmx3g -XX:+UseSerialGC",
            description = "The members' JVM flags (default ${DEFAULT-VALUE})")
    List<String> memberJvmOpts;
    @Option(names = "--member-args", split = " ", description = "More member flags")
    List<String> memberArgs = List.of();
    @Option(names = "--election-timeout-ms", defaultValue = "1000", description = "The members' Raft election timeout (default ${DEFAULT-VALUE})")
    int electionTimeoutMs;
    @Option(names = "--work-dir", description = "Where the members keep their data and logs (default: a temp dir)")
    Path workDir;

    private ProcessCluster cluster;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScaleBench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (instances < 10 || services < 1 || bigService < 0 || bigService >= instances || clients < 1 || inFlight < 1
                || keepaliveTtlS < 3 || windowS < 1 || expiryTtlMs < 1000) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts must be positive (instances at least 10)");
        }
        Path dir = workDir != null ? workDir : Files.createTempDirectory("muster-scale");
        System.out.println("# Muster scale, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.printf(Locale.ROOT, "# instances=%d services=%d bigService=%d clients=%d inFlight=%d electionTimeoutMs=%d phases=%s memberJvmOpts=%s memberArgs=%s%n",
                instances, services, bigService, clients, inFlight, electionTimeoutMs, phases, String.join(" ", memberJvmOpts), String.join(" ", memberArgs));
        System.out.println("# work dir (member logs): " + dir.toAbsolutePath());
        List<String> jvm = new ArrayList<>(memberJvmOpts);
        jvm.add("-XX:NativeMemoryTracking=summary"); // MemberFootprintBench.measure reads it
        try (ProcessCluster c = ProcessCluster.builder(dir).size(3).electionTimeoutMs(electionTimeoutMs).jvmOptions(jvm).memberArgs(memberArgs).start()) {
            cluster = c;
            // a run stopped with SIGTERM (or its timeout) stops its members too
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "scale-bench-cluster-stop"));
            cluster.awaitLeader(Duration.ofSeconds(60));
            cluster.awaitEveryMemberServing(Duration.ofSeconds(60));
            Map<String, MemberFootprintBench.Footprint> empty = phases.contains(Phase.heap) ? MemberFootprintBench.measure(cluster) : null;
            register();
            phase(Phase.heap, () -> heap(empty));
            phase(Phase.restart_log, () -> restartOne("a follower, no snapshot (the whole log replayed)"));
            if (phases.contains(Phase.snapshot) || phases.contains(Phase.join)) {
                phase(Phase.snapshot, this::snapshots);
            }
            phase(Phase.restart_one, () -> restartOne("a follower, from its snapshot"));
            phase(Phase.restart_all, this::restartAll);
            phase(Phase.join, this::join);
            ScaleLoads loads = new ScaleLoads(cluster, windowS);
            phase(Phase.discover, () -> loads.discover("big", bigService));
            phase(Phase.watch, () -> loads.watchEverything(instances));
            phase(Phase.keepalive, () -> loads.keepAlive(leases, (long) instances * 3 / keepaliveTtlS, clients));
            phase(Phase.expiry, () -> expiry(loads));
        }
        return 0;
    }

    private long[] leases;

    private interface Step {
        void run() throws Exception;
    }

    /** Runs a phase that was asked for; a phase that fails is reported and the next one runs. */
    private void phase(Phase p, Step step) {
        if (!phases.contains(p) && !(p == Phase.snapshot && phases.contains(Phase.join))) {
            return;
        }
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            System.out.println();
            System.out.println("## " + p + ": FAILED: " + e);
            e.printStackTrace(System.out);
        }
    }

    Instance instance(int k, long ttlMs) {
        return Instance.newBuilder()
                .setService(k < bigService ? "big" : String.format(Locale.ROOT, "svc-%05d", k % services))
                .setId("i-" + k)
                .setHost("10." + ((k >> 16) & 0xff) + "." + ((k >> 8) & 0xff) + "." + (k & 0xff))
                .setPort(8080)
                .addTags("v1")
                .putMetadata("version", "1.0.0")
                .setLeaseTtlMs(ttlMs)
                .build();
    }

    private List<ManagedChannel> channelsTo(ProcessCluster.Member m) {
        List<ManagedChannel> chs = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            chs.add(cluster.channelTo(m.grpcAddress()).directExecutor().build());
        }
        return chs;
    }

    private void register() throws Exception {
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        List<ProcessCluster.Member> ns = cluster.members();
        List<ManagedChannel> chs = channelsTo(leader);
        try {
            RegisterBench.CpuSample cpu0 = RegisterBench.CpuSample.take(cluster, ns);
            RegisterBench.RaftCounters raft0 = RegisterBench.RaftCounters.scrape(cluster, leader);
            Map<String, Double> threads0 = ThreadCpu.sample(cluster.pid(leader.id()));
            long t0 = System.nanoTime();
            leases = Registrations.register(chs, instances, k -> instance(k, 3_600_000), inFlight);
            long nanos = System.nanoTime() - t0;
            RegisterBench.CpuSample cpu1 = RegisterBench.CpuSample.take(cluster, ns);
            RegisterBench.RaftCounters raft = RegisterBench.RaftCounters.scrape(cluster, leader).minus(raft0);
            Map<String, Double> threads1 = ThreadCpu.sample(cluster.pid(leader.id()));
            double s = nanos / 1e9;
            System.out.printf(Locale.ROOT, "%n## Registration%n%n%,d instances in %.1f s: %,.0f registrations/s (leader %s, %d connections, %d in flight)%n",
                    instances, s, instances / s, leader.id(), clients, inFlight);
            double allCpuMs = 0;
            for (int i = 0; i < ns.size(); i++) {
                double ms = (cpu1.nodes[i] - cpu0.nodes[i]) / 1e6;
                allCpuMs += ms;
                System.out.printf(Locale.ROOT, "- %s%s CPU %.1f s (%.0f %% of a core), %.1f µs per registration%n", ns.get(i).id(),
                        ns.get(i).equals(leader) ? " (leader)" : "", ms / 1e3, ms / 10 / s, ms * 1e3 / instances);
            }
            System.out.printf(Locale.ROOT, "- all members: %.1f µs of CPU per registration; bench JVM %.0f %% of a core%n",
                    allCpuMs * 1e3 / instances, RegisterBench.CpuSample.percent(cpu0.self, cpu1.self, nanos));
            System.out.printf(Locale.ROOT, "- calls sent again after UNAVAILABLE / DEADLINE_EXCEEDED: %,d; leader at the end: %s%n",
                    Registrations.RETRIED.get(), cluster.awaitLeader(Duration.ofSeconds(30)).id());
            System.out.printf(Locale.ROOT, "- leader's Raft log: %,.0f entries/s, %.1f commands per entry%n",
                    raft.entries() / s, raft.entries() <= 0 ? 0 : raft.commands() / raft.entries());
            double apply = ThreadCpu.of(threads0, threads1, "FSMCaller");
            System.out.printf(Locale.ROOT, "- leader's apply thread (JRaft-FSMCaller): %.1f s, %.1f µs per registration, %.0f %% of a core%n",
                    apply / 1e3, apply * 1e3 / instances, apply / 10 / s);
            System.out.println("- leader's busiest threads (ms): " + ThreadCpu.top(threads0, threads1, 10));
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private void heap(Map<String, MemberFootprintBench.Footprint> empty) throws Exception {
        Map<String, MemberFootprintBench.Footprint> full = MemberFootprintBench.measure(cluster);
        MemberFootprintBench.print("Heap: " + instances + " instances", cluster, full, empty);
        String[] lines = MemberFootprintBench.jcmd(cluster.pid(cluster.awaitLeader(Duration.ofSeconds(5)).id()), "GC.class_histogram").split("\n");
        System.out.println();
        System.out.println("Leader's heap by class (GC.class_histogram, top 15):");
        for (int i = 0; i < Math.min(lines.length, 18); i++) {
            System.out.println(lines[i]);
        }
    }

    private ProcessCluster.Member aFollower() {
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        return cluster.members().stream().filter(m -> !m.equals(leader) && cluster.isRunning(m.id())).findFirst().orElseThrow();
    }

    private void restartOne(String what) throws Exception {
        ProcessCluster.Member f = aFollower();
        cluster.kill(f.id());
        long t0 = System.nanoTime();
        cluster.startNode(f.id());
        double ready = awaitCaughtUp(f, instances, t0, Duration.ofMinutes(2));
        System.out.printf(Locale.ROOT, "%n## Restart of %s%n%n%s: ready with %,d instances %.1f s after its JVM was started%n",
                what, f.id(), instances, ready);
    }

    private void restartAll() throws Exception {
        List<ProcessCluster.Member> ns = cluster.members().stream().filter(m -> cluster.isRunning(m.id())).toList();
        ns.forEach(m -> cluster.kill(m.id()));
        long t0 = System.nanoTime();
        ns.forEach(m -> cluster.startNode(m.id()));
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofMinutes(2));
        double leaderS = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%n## Restart of all %d members%n%nleader %s %.1f s after the JVMs were started%n", ns.size(), leader.id(), leaderS);
        for (ProcessCluster.Member m : ns) {
            System.out.printf(Locale.ROOT, "- %s ready with %,d instances after %.1f s%n", m.id(), instances,
                    awaitCaughtUp(m, instances, t0, Duration.ofMinutes(2)));
        }
    }

    /** Backups (Cluster.Snapshot) and two Raft snapshots per member, so that a joining member gets a snapshot install. */
    private void snapshots() throws Exception {
        System.out.printf(Locale.ROOT, "%n## Snapshots%n%n");
        System.out.println("| member | call | first chunk ms | last chunk ms | bytes |");
        System.out.println("|---|---|---:|---:|---:|");
        for (ProcessCluster.Member m : cluster.members()) {
            backup(m, false);
            backup(m, true);
            backup(m, true);
        }
        System.out.println("(compact_log: a Raft snapshot of the answering member first, then the backup of its catalog; "
                + "the first chunk comes once the whole backup is serialized)");
        for (ProcessCluster.Member m : cluster.members()) {
            try (Stream<Path> files = Files.walk(m.dataDir())) {
                files.filter(p -> p.getFileName().toString().equals("catalog.pb")).forEach(p -> {
                    try {
                        System.out.printf(Locale.ROOT, "- %s snapshot file %s: %,d bytes%n", m.id(), m.dataDir().relativize(p), Files.size(p));
                    } catch (IOException e) {
                        System.out.println("- " + p + ": " + e);
                    }
                });
            }
        }
    }

    private void backup(ProcessCluster.Member m, boolean compact) {
        long t0 = System.nanoTime();
        Iterator<SnapshotChunk> chunks = ClusterGrpc.newBlockingStub(cluster.channel(m.id())).withDeadlineAfter(5, TimeUnit.MINUTES)
                .snapshot(SnapshotRequest.newBuilder().setCompactLog(compact).build());
        long first = -1;
        long bytes = 0;
        while (chunks.hasNext()) {
            SnapshotChunk c = chunks.next();
            if (first < 0) {
                first = System.nanoTime();
            }
            bytes += c.getData().size();
        }
        long end = System.nanoTime();
        System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %,d |%n", m.id(), compact ? "Snapshot compact_log" : "Snapshot (backup)",
                (first - t0) / 1e6, (end - t0) / 1e6, bytes);
    }

    private void join() throws Exception {
        ProcessCluster.Member n = cluster.startJoining();
        cluster.awaitEveryMemberServing(Duration.ofMinutes(1));
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        ClusterGrpc.newBlockingStub(cluster.channel(leader.id())).withDeadlineAfter(5, TimeUnit.MINUTES)
                .addMember(AddMemberRequest.newBuilder().setMember(Member.newBuilder().setId(n.id()).setRaftAddress(n.raftAddress())
                        .setGrpcAddress(n.grpcAddress()).setPeerAddress(n.peerAddress())).build());
        double added = (System.nanoTime() - t0) / 1e9;
        double ready = awaitCaughtUp(n, instances, t0, Duration.ofMinutes(2));
        System.out.printf(Locale.ROOT, "%n## A new member joins%n%n%s: AddMember answered after %.1f s, ready with %,d instances %.1f s after AddMember was sent%n",
                n.id(), added, instances, ready);
    }

    private void expiry(ScaleLoads loads) throws Exception {
        int expiring = instances / 10;
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        List<ManagedChannel> chs = channelsTo(leader);
        try {
            Registrations.register(chs, expiring, j -> instance(instances - 1 - j, expiryTtlMs), inFlight);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
        // a new leader gives every lease a fresh TTL at once: the expiring 10 % then expire together
        ClusterGrpc.newBlockingStub(cluster.channel(leader.id())).withDeadlineAfter(30, TimeUnit.SECONDS)
                .transferLeadership(TransferLeadershipRequest.getDefaultInstance());
        loads.expiry(instances, instances - expiring, expiryTtlMs);
    }

    /** Seconds from {@code t0} until {@code m} answers /readyz and holds {@code count} instances. */
    static double awaitCaughtUp(ProcessCluster.Member m, long count, long t0, Duration timeout) throws InterruptedException {
        long deadline = t0 + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ready(m) && instancesOf(m) == count) {
                return (System.nanoTime() - t0) / 1e9;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(m.id() + " not caught up within " + timeout + "; see " + m.log());
    }

    static boolean ready(ProcessCluster.Member m) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + m.metricsPort() + "/readyz").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code muster_catalog_instances} of a member, -1 when it does not answer. */
    static long instancesOf(ProcessCluster.Member m) {
        try {
            double n = MemberFootprintBench.catalogInstances(ProcessCluster.metricsText(m.metricsPort()));
            return Double.isNaN(n) ? -1 : (long) n;
        } catch (IOException e) {
            return -1;
        }
    }
}
