package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.testkit.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a member holds in memory: three member JVMs ({@link ProcessCluster}), a measurement with an
 * empty catalog, then N instances registered (each with its own lease, many calls in flight over a
 * few connections) and one keep-alive per lease over a few open KeepAlive streams, and a second
 * measurement. Per member: heap used after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}),
 * bytes per instance, RSS, and the JVM's native memory by category ({@code VM.native_memory summary};
 * the members run with {@code -XX:NativeMemoryTracking=summary}). What RSS holds beyond NMT's committed
 * total is memory the JVM does not track: glibc malloc arenas, RocksDB, the JVM's own libraries.
 *
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.MemberFootprintBench \
 *   --instances 100000 --member-jvm-opts="-Xms256m -Xmx256m -XX:+UseSerialGC -XX:+AlwaysPreTouch"
 * </pre>
 *
 * The members inherit this JVM's environment (so {@code MALLOC_ARENA_MAX=2 java ...} applies to them).
 */
@Command(name = "member-footprint-bench", mixinStandardHelpOptions = true,
        description = "Heap, RSS and native memory of 3 members, empty and with N instances.")
public final class MemberFootprintBench implements Callable<Integer> {

    @Option(names = "--instances", defaultValue = "100000", description = "Instances to register (default ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--services", defaultValue = "1000", description = "Services they belong to (default ${DEFAULT-VALUE})")
    int services;

    @Option(names = "--in-flight", defaultValue = "256", description = "Register calls in flight (default ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--channels", defaultValue = "4", description = "Connections to the leader, and KeepAlive streams (default ${DEFAULT-VALUE})")
    int channels;

    @Option(names = "--member-jvm-opts", split = " ",
            defaultValue = "-Xms256m -Xmx256m -XX:+UseSerialGC -XX:+AlwaysPreTouch",
            description = "The members' JVM flags (NativeMemoryTracking is added) (default ${DEFAULT-VALUE})")
    List<String> memberJvmOpts;

    @Option(names = "--member-args", split = " ", description = "More member flags")
    List<String> memberArgs = List.of();

    @Option(names = "--settle-s", defaultValue = "10", description = "Wait before each measurement (default ${DEFAULT-VALUE})")
    int settleS;

    @Option(names = "--work-dir", description = "Where the members keep their data and logs (default: a temp dir)")
    Path workDir;

    @Option(names = "--histogram", defaultValue = "0", description = "Print the leader's N biggest classes on the heap at the end (default ${DEFAULT-VALUE})")
    int histogram;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MemberFootprintBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (instances < 1 || services < 1 || inFlight < 1 || channels < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "counts must be positive");
        }
        Path dir = workDir != null ? workDir : Files.createTempDirectory("muster-footprint");
        List<String> jvm = new ArrayList<>(memberJvmOpts);
        jvm.add("-XX:NativeMemoryTracking=summary");
        System.out.println("# Muster member footprint, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.printf(Locale.ROOT, "# instances=%d services=%d inFlight=%d channels=%d memberJvmOpts=%s memberArgs=%s MALLOC_ARENA_MAX=%s%n",
                instances, services, inFlight, channels, String.join(" ", jvm), String.join(" ", memberArgs),
                System.getenv().getOrDefault("MALLOC_ARENA_MAX", "(unset)"));
        System.out.println("# work dir (member logs): " + dir.toAbsolutePath());
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).jvmOptions(jvm).memberArgs(memberArgs).start()) {
            ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
            cluster.awaitEveryMemberServing(Duration.ofSeconds(60));
            Thread.sleep(TimeUnit.SECONDS.toMillis(settleS));
            Map<String, Footprint> empty = measure(cluster);
            print("empty catalog", cluster, empty, null);

            List<ManagedChannel> chs = new ArrayList<>();
            for (int i = 0; i < channels; i++) {
                chs.add(NettyChannelBuilder.forTarget(leader.grpcAddress()).usePlaintext().directExecutor().build());
            }
            try {
                long t0 = System.nanoTime();
                long[] leases = register(chs);
                System.out.printf(Locale.ROOT, "# registered %d instances in %.1f s%n", instances, (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                List<StreamObserver<KeepAliveRequest>> streams = keepAlive(chs, leases);
                System.out.printf(Locale.ROOT, "# one keep-alive per lease over %d streams in %.1f s (streams stay open)%n",
                        streams.size(), (System.nanoTime() - t0) / 1e9);
                Thread.sleep(TimeUnit.SECONDS.toMillis(settleS));
                Map<String, Footprint> full = measure(cluster);
                print(instances + " instances", cluster, full, empty);
                if (histogram > 0) {
                    String[] lines = jcmd(cluster.pid(cluster.awaitLeader(Duration.ofSeconds(5)).id()), "GC.class_histogram").split("\n");
                    System.out.println();
                    System.out.println("Leader's heap by class (GC.class_histogram):");
                    for (int i = 0; i < Math.min(lines.length, histogram + 3); i++) {
                        System.out.println(lines[i]);
                    }
                }
                streams.forEach(StreamObserver::onCompleted);
            } finally {
                chs.forEach(ManagedChannel::shutdownNow);
            }
        }
        return 0;
    }

    private Instance instance(int k) {
        return Instance.newBuilder()
                .setService(String.format(Locale.ROOT, "svc-%04d", k % services))
                .setId("i-" + k)
                .setHost("10." + ((k >> 16) & 0xff) + "." + ((k >> 8) & 0xff) + "." + (k & 0xff))
                .setPort(8080)
                .addTags("v1")
                .putMetadata("version", "1.0.0")
                .setLeaseTtlMs(3_600_000)
                .build();
    }

    /** Registers every instance, {@code inFlight} calls at a time over the channels; returns the lease ids. */
    private long[] register(List<ManagedChannel> chs) throws InterruptedException {
        return Registrations.register(chs, instances, this::instance, inFlight);
    }

    /** One keep-alive for every lease, spread over one stream per channel; returns the open streams. */
    private List<StreamObserver<KeepAliveRequest>> keepAlive(List<ManagedChannel> chs, long[] leases) throws InterruptedException {
        CountDownLatch answered = new CountDownLatch(leases.length);
        List<StreamObserver<KeepAliveRequest>> streams = new ArrayList<>();
        for (ManagedChannel ch : chs) {
            streams.add(RegistryGrpc.newStub(ch).keepAlive(new StreamObserver<>() {
                @Override
                public void onNext(KeepAliveResponse r) {
                    answered.countDown();
                }

                @Override
                public void onError(Throwable t) {
                    System.out.println("# keep-alive stream failed: " + Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                }
            }));
        }
        for (int k = 0; k < leases.length; k++) {
            streams.get(k % streams.size()).onNext(KeepAliveRequest.newBuilder().setLeaseId(leases[k]).build());
        }
        if (!answered.await(120, TimeUnit.SECONDS)) {
            System.out.println("# keep-alives unanswered after 120 s: " + answered.getCount());
        }
        return streams;
    }

    record Footprint(long heapUsedKb, long heapCommittedKb, long rssKb, long rssAnonKb, long nmtCommittedKb,
                     Map<String, Long> nmtByCategoryKb, long threads, double instances) {
    }

    static Map<String, Footprint> measure(ProcessCluster cluster) throws IOException, InterruptedException {
        Map<String, Footprint> out = new LinkedHashMap<>();
        for (ProcessCluster.Member m : cluster.members()) {
            long pid = cluster.pid(m.id());
            jcmd(pid, "GC.run");
            String heap = jcmd(pid, "GC.heap_info");
            long used = 0;
            long committed = 0;
            // SerialGC: "def new generation total 78656K, used 1234K", "tenured generation ..."; G1: "garbage-first heap ..."
            Matcher hm = Pattern.compile("(?m)^ (\\S[^\\n]*?)\\s+total (\\d+)K, used (\\d+)K").matcher(heap);
            while (hm.find()) {
                committed += Long.parseLong(hm.group(2));
                used += Long.parseLong(hm.group(3));
            }
            String nmt = jcmd(pid, "VM.native_memory", "summary");
            Map<String, Long> cats = new LinkedHashMap<>();
            Matcher nm = Pattern.compile("(?m)^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)").matcher(nmt);
            while (nm.find()) {
                cats.put(nm.group(1).trim(), Long.parseLong(nm.group(2)));
            }
            Matcher tm = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB").matcher(nmt);
            long nmtTotal = tm.find() ? Long.parseLong(tm.group(1)) : -1;
            Matcher th = Pattern.compile("\\(thread #(\\d+)\\)").matcher(nmt);
            long threads = th.find() ? Long.parseLong(th.group(1)) : -1;
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            double count = catalogInstances(ProcessCluster.metricsText(m.metricsPort()));
            out.put(m.id(), new Footprint(used, committed, statusKb(status, "VmRSS"), statusKb(status, "RssAnon"), nmtTotal, cats, threads, count));
        }
        return out;
    }

    /** {@code muster_catalog_instances} in a member's Prometheus text; NaN if absent. */
    static double catalogInstances(String metrics) {
        // "muster_catalog_instances 100000.0", or with labels: "muster_catalog_instances{...} 100000.0"
        Matcher cm = Pattern.compile("(?m)^muster_catalog_instances(\\{[^}]*\\})? (\\S+)$").matcher(metrics);
        return cm.find() ? Double.parseDouble(cm.group(2)) : Double.NaN;
    }

    private static long statusKb(String status, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + ":\\s+(\\d+) kB").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + String.join(" ", command) + " failed: " + text);
        }
        return text;
    }

    static void print(String title, ProcessCluster cluster, Map<String, Footprint> now, Map<String, Footprint> before) {
        String leader = "?";
        try {
            leader = cluster.awaitLeader(Duration.ofSeconds(5)).id();
        } catch (RuntimeException e) {
            // printed as ?
        }
        System.out.println();
        System.out.println("## " + title);
        System.out.println();
        System.out.println("| member | instances | heap used after full GC MB | heap committed MB | bytes per instance | RSS MB | RSS anon MB | NMT committed MB | RSS - NMT MB | threads |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Map.Entry<String, Footprint> e : now.entrySet()) {
            Footprint f = e.getValue();
            String perInstance = "";
            if (before != null && f.instances() > 0) {
                perInstance = Long.toString(Math.round((f.heapUsedKb() - before.get(e.getKey()).heapUsedKb()) * 1024.0 / f.instances()));
            }
            System.out.printf(Locale.ROOT, "| %s%s | %.0f | %.1f | %.1f | %s | %.1f | %.1f | %.1f | %.1f | %d |%n", e.getKey(),
                    e.getKey().equals(leader) ? " (leader)" : "", f.instances(), f.heapUsedKb() / 1024.0, f.heapCommittedKb() / 1024.0,
                    perInstance, f.rssKb() / 1024.0, f.rssAnonKb() / 1024.0, f.nmtCommittedKb() / 1024.0,
                    (f.rssKb() - f.nmtCommittedKb()) / 1024.0, f.threads());
        }
        System.out.println();
        List<String> cats = new ArrayList<>(now.values().iterator().next().nmtByCategoryKb().keySet());
        System.out.println("NMT committed MB by category: | " + String.join(" | ", now.keySet()) + " |");
        for (String c : cats) {
            StringBuilder row = new StringBuilder("| " + c + " |");
            boolean any = false;
            for (Footprint f : now.values()) {
                long kb = f.nmtByCategoryKb().getOrDefault(c, 0L);
                any |= kb >= 1024;
                row.append(String.format(Locale.ROOT, " %.1f |", kb / 1024.0));
            }
            if (any) {
                System.out.println(row);
            }
        }
    }
}
