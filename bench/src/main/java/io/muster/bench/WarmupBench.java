package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.testkit.ProcessCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How fast freshly started members serve: three member JVMs ({@link ProcessCluster}) and, from the
 * moment a leader is elected, {@code --clients} closed-loop callers each with one
 * {@code Registry.Register} in flight to the leader, counted per {@code --window-s} window from the
 * first call. Reports each window's rate, the first 60 s against the last 60 s (the steady state),
 * and their ratio (the goal: the first minute within 1.5x of the steady state).
 *
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.WarmupBench \
 *   --duration-s 180 --member-jvm-opts="-Xms256m -Xmx256m -XX:+UseSerialGC -XX:+AlwaysPreTouch"
 * </pre>
 */
@Command(name = "warmup-bench", mixinStandardHelpOptions = true,
        description = "Registrations per window from the start of a fresh 3-member cluster.")
public final class WarmupBench implements Callable<Integer> {

    @Option(names = "--clients", defaultValue = "64", description = "Closed-loop callers (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--instances", defaultValue = "100", description = "Instance ids each caller cycles through (default ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--duration-s", defaultValue = "180", description = "Load from the first leader on (default ${DEFAULT-VALUE})")
    int durationS;

    @Option(names = "--window-s", defaultValue = "5", description = "Counting window (default ${DEFAULT-VALUE})")
    int windowS;

    @Option(names = "--member-jvm-opts", split = " ",
            defaultValue = "-Xms256m -Xmx256m -XX:+UseSerialGC -XX:+AlwaysPreTouch",
            description = "The members' JVM flags (default ${DEFAULT-VALUE})")
    List<String> memberJvmOpts;

    @Option(names = "--work-dir", description = "Where the members keep their data and logs (default: a temp dir)")
    Path workDir;

    private volatile boolean stop;
    private long startNanos;
    private AtomicLongArray ok;
    private AtomicLongArray failed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new WarmupBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || instances < 1 || windowS < 1 || durationS < 120 || durationS % windowS != 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "counts must be positive, --duration-s at least 120 and a multiple of --window-s");
        }
        Path dir = workDir != null ? workDir : Files.createTempDirectory("muster-warmup");
        System.out.println("# Muster warm-up, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        System.out.println(MachineInfo.describe());
        System.out.printf(Locale.ROOT, "# clients=%d instances/client=%d duration=%ds window=%ds memberJvmOpts=%s%n",
                clients, instances, durationS, windowS, String.join(" ", memberJvmOpts));
        int windows = durationS / windowS;
        ok = new AtomicLongArray(windows);
        failed = new AtomicLongArray(windows);
        long t0 = System.nanoTime();
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).jvmOptions(memberJvmOpts).start()) {
            ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
            System.out.printf(Locale.ROOT, "# leader %s %.1f s after the members were started%n", leader.id(), (System.nanoTime() - t0) / 1e9);
            List<ManagedChannel> chs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                chs.add(NettyChannelBuilder.forTarget(leader.grpcAddress()).usePlaintext().directExecutor().build());
            }
            try {
                startNanos = System.nanoTime();
                for (int c = 0; c < clients; c++) {
                    new Caller(c, RegistryGrpc.newStub(chs.get(c % chs.size()))).next();
                }
                Thread.sleep(TimeUnit.SECONDS.toMillis(durationS));
                stop = true;
            } finally {
                chs.forEach(ManagedChannel::shutdownNow);
            }
        }
        System.out.println();
        System.out.println("| from s | registrations/s | errors |");
        System.out.println("|---:|---:|---:|");
        for (int w = 0; w < windows; w++) {
            System.out.printf(Locale.ROOT, "| %d | %.0f | %d |%n", w * windowS, ok.get(w) / (double) windowS, failed.get(w));
        }
        int perMinute = 60 / windowS;
        double first = rate(0, perMinute);
        double steady = rate(windows - perMinute, windows);
        System.out.println();
        System.out.printf(Locale.ROOT, "first 60 s: %.0f/s; last 60 s (steady): %.0f/s; steady / first: %.2f%n", first, steady, steady / first);
        return 0;
    }

    private double rate(int fromWindow, int toWindow) {
        long n = 0;
        for (int w = fromWindow; w < toWindow; w++) {
            n += ok.get(w);
        }
        return n / (double) ((toWindow - fromWindow) * windowS);
    }

    /** One caller: one Register in flight, the next sent from the previous one's callback. */
    private final class Caller implements StreamObserver<RegisterResponse> {
        private final RegistryGrpc.RegistryStub stub;
        private final RegisterRequest[] cycle;
        private long seq;

        Caller(int index, RegistryGrpc.RegistryStub stub) {
            this.stub = stub;
            this.cycle = new RegisterRequest[instances];
            for (int k = 0; k < instances; k++) {
                cycle[k] = RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
                        .setService("warmup")
                        .setId("c" + index + "-" + k)
                        .setHost("10." + (index & 0xff) + "." + ((k >> 8) & 0xff) + "." + (k & 0xff))
                        .setPort(8080)
                        .addTags("bench")
                        .putMetadata("version", "1.0.0")
                        .setLeaseTtlMs(600_000)).build();
            }
        }

        void next() {
            if (stop) {
                return;
            }
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).register(cycle[(int) (seq++ % instances)], this);
        }

        private void count(AtomicLongArray counts) {
            int w = (int) ((System.nanoTime() - startNanos) / TimeUnit.SECONDS.toNanos(windowS));
            if (w < counts.length()) {
                counts.incrementAndGet(w);
            }
        }

        @Override
        public void onNext(RegisterResponse value) {
        }

        @Override
        public void onError(Throwable t) {
            count(failed);
            if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE) {
                // a leader change or a member not serving yet: do not spin
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            next();
        }

        @Override
        public void onCompleted() {
            count(ok);
            next();
        }
    }
}
