package io.muster.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.testkit.ProcessCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Watch fan-out: N watchers on one follower, registrations at a fixed rate on the leader; latency
 * from the Register acknowledgment to delivery at each watcher (clamped at 0 when the event arrives
 * before the acknowledgment). Prints a table per run and the median over runs. By default one
 * unrecorded warm-up run of the same shape comes first (the first run of a fresh cluster is
 * dominated by JIT compilation and heap sizing): the figures are steady state.
 */
@Command(name = "watch-fanout-bench", mixinStandardHelpOptions = true)
public final class WatchFanoutBench implements Callable<Integer> {

    @Option(names = "--watchers", defaultValue = "1000")
    int watchers;
    @Option(names = "--channels", defaultValue = "10", description = "HTTP/2 connections the watchers share")
    int channels;
    @Option(names = "--events", defaultValue = "1000", description = "Registrations per run")
    int events;
    @Option(names = "--rate", defaultValue = "100", description = "Registrations per second")
    int rate;
    @Option(names = "--runs", defaultValue = "3")
    int runs;
    @Option(names = "--work-dir", description = "Where nodes keep data and logs (default: a temp dir)")
    Path workDir;
    @Option(names = "--decode", defaultValue = "IDS",
            description = "How watchers decode responses: IDS (only each event's instance id, no objects) or FULL (WatchResponse objects)")
    Decode decode;

    @Option(names = "--node-jvm-opts", defaultValue = "-Xmx512m", split = " ",
            description = "JVM options of the three nodes (space-separated)")
    List<String> nodeJvmOpts;
    @Option(names = "--watch-on", defaultValue = "FOLLOWER",
            description = "Which node serves the watchers: FOLLOWER (it applies an entry when it learns the commit) or LEADER")
    WatchOn watchOn;
    @Option(names = "--spread", description = "Also print, per run, when each event reached its first and its last watcher")
    boolean spread;
    @Option(names = "--events-csv",
            description = "Also write one line per measured event (wall-clock time of its ack; write latency; when its first, median and last watcher got it, ms after the ack) to this file, to line tails up with GC logs")
    Path eventsCsv;
    @Option(names = "--tls", description = "The public port over TLS with client certificates required (as deploy/local/run.sh runs it)")
    boolean tls;
    @Option(names = "--peer-tls", description = "Mutual TLS between members (peer listener and Raft)")
    boolean peerTls;
    @Option(names = "--acl", description = "Members run with --acl-enabled; the writer and the watchers send the bootstrap token")
    boolean acl;
    @Option(names = "--warmup-runs", defaultValue = "3",
            description = "Runs of the same shape before the measured ones, not recorded (JIT, heap sizing; "
                    + "with 1, the first measured run was the slowest of its set in 13 of 16 sets) (default ${DEFAULT-VALUE})")
    int warmupRuns;

    private java.io.PrintWriter csv;

    enum Decode { IDS, FULL }

    enum WatchOn { FOLLOWER, LEADER }

    /** Delivery latency (ack to watcher) and write latency (send to ack at the writer), in ms. */
    record Result(long delivered, long expected, double p50, double p99, double p999, double max,
                  double writeP50, double writeP99) {
    }

    @Override
    public Integer call() throws Exception {
        WatchEventIds.check(WatchResponse.newBuilder()
                .addEvents(Event.newBuilder().setRevision(3).setInstance(instance("s", 0)))
                .addEvents(Event.newBuilder().setRevision(4).setInstance(instance("s", 1017).toBuilder().putMetadata("k", "v")))
                .addEvents(Event.newBuilder().setRevision(5).setInstance(instance("s", -1)))
                .setRevision(5).setMemberId("n1").build(), 0, 1017, -1);
        Path dir = workDir != null ? workDir : Files.createTempDirectory("muster-watch-bench");
        System.out.println(MachineInfo.describe());
        System.out.printf("watch fan-out: %d watchers on one %s over %d connections, %d registrations/run at %d/s, %d runs after %d warm-up runs, decode %s%n",
                watchers, watchOn.name().toLowerCase(java.util.Locale.ROOT), channels, events, rate, runs, warmupRuns, decode);
        System.out.printf("# node JVM options: %s%n# benchmark JVM options: %s%n", String.join(" ", nodeJvmOpts),
                String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        SecureSetup security = SecureSetup.create(dir, tls, peerTls, acl);
        System.out.println(security.describe());
        try (ProcessCluster cluster = security.applyTo(ProcessCluster.builder(dir).size(3).jvmOptions(nodeJvmOpts)).start()) {
            ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
            ProcessCluster.Member follower = watchOn == WatchOn.LEADER ? leader
                    : cluster.members().stream().filter(n -> n != leader).findFirst().orElseThrow();
            System.out.printf("# leader %s, watchers on %s; node logs in %s%n", leader.id(), follower.id(), cluster.workDir());
            io.grpc.ClientInterceptor token = security.token(cluster.members());
            NettyChannelBuilder writeBuilder = cluster.channelTo(leader.grpcAddress());
            if (token != null) {
                writeBuilder.intercept(token);
            }
            ManagedChannel writeChannel = writeBuilder.build();
            List<ManagedChannel> watchChannels = new ArrayList<>();
            for (int i = 0; i < channels; i++) {
                // onNext only stores a timestamp: run it on the event loop that decoded the message
                // instead of handing each of the 100,000 messages/s to another thread; a watch is
                // never retried, so skip the retry buffering layer too
                NettyChannelBuilder wb = cluster.channelTo(follower.grpcAddress()).directExecutor().disableRetry();
                if (token != null) {
                    wb.intercept(token);
                }
                watchChannels.add(wb.build());
            }
            List<Result> results = new ArrayList<>();
            if (eventsCsv != null) {
                csv = new java.io.PrintWriter(Files.newBufferedWriter(eventsCsv));
                csv.println("run,event,ack_utc_ms,write_ms,first_ms,median_ms,last_ms");
            }
            System.out.printf("%-5s %10s %10s %9s %9s %9s %9s %12s %12s%n", "run", "delivered", "expected", "p50 ms", "p99 ms",
                    "p99.9 ms", "max ms", "write p50", "write p99");
            for (int run = 1 - warmupRuns; run <= runs; run++) {
                Result r = runOnce(run + warmupRuns, writeChannel, watchChannels);
                String label = run <= 0 ? "w" + (run + warmupRuns) : Integer.toString(run);
                if (run > 0) {
                    results.add(r);
                }
                System.out.printf("%-5s %10d %10d %9.2f %9.2f %9.2f %9.2f %12.2f %12.2f%n", label, r.delivered(), r.expected(), r.p50(),
                        r.p99(), r.p999(), r.max(), r.writeP50(), r.writeP99());
            }
            System.out.printf("%-5s %10s %10s %9.2f %9.2f %9.2f %9.2f %12.2f %12.2f%n", "median", "", "",
                    median(results.stream().mapToDouble(Result::p50).toArray()),
                    median(results.stream().mapToDouble(Result::p99).toArray()),
                    median(results.stream().mapToDouble(Result::p999).toArray()),
                    median(results.stream().mapToDouble(Result::max).toArray()),
                    median(results.stream().mapToDouble(Result::writeP50).toArray()),
                    median(results.stream().mapToDouble(Result::writeP99).toArray()));
            writeChannel.shutdownNow();
            watchChannels.forEach(ManagedChannel::shutdownNow);
            if (csv != null) {
                csv.close();
            }
        }
        return 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private Result runOnce(int run, ManagedChannel writeChannel, List<ManagedChannel> watchChannels) throws InterruptedException {
        String service = "fanout-" + run;
        var writer = RegistryGrpc.newBlockingStub(writeChannel);
        // the first registration fixes where the watchers start
        long base = writer.withDeadlineAfter(5, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
                .setInstance(instance(service, -1)).build()).getRevision() + 1;
        AtomicLongArray ackNanos = new AtomicLongArray(events);
        long[] sentNanos = new long[events];
        // delivery[i * watchers + w]: when watcher w got the i-th registration (one event's
        // deliveries are adjacent: they arrive together)
        long[] delivery = new long[watchers * events];
        LongAdder delivered = new LongAdder();
        List<io.grpc.Context.CancellableContext> contexts = new ArrayList<>();
        for (int w = 0; w < watchers; w++) {
            int watcher = w;
            abstract class Deliveries<T> implements StreamObserver<T> {
                void record(int i, long now) {
                    if (i >= 0 && i < events) {
                        delivery[i * watchers + watcher] = now;
                        delivered.increment();
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            }
            io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
            contexts.add(ctx);
            ManagedChannel channel = watchChannels.get(watcher % watchChannels.size());
            WatchRequest request = WatchRequest.newBuilder().addServices(service).setStartRevision(base).build();
            ctx.run(() -> {
                if (decode == Decode.FULL) {
                    RegistryGrpc.newStub(channel).watch(request, new Deliveries<>() {
                        @Override
                        public void onNext(WatchResponse r) {
                            long now = System.nanoTime();
                            for (Event e : r.getEventsList()) {
                                String id = e.getInstance().getId();
                                record(id.startsWith("i") ? parseOrMinusOne(id.substring(1)) : -1, now);
                            }
                        }
                    });
                } else {
                    ClientCalls.asyncServerStreamingCall(channel.newCall(WatchEventIds.METHOD, CallOptions.DEFAULT), request, new Deliveries<>() {
                        @Override
                        public void onNext(int[] ids) {
                            long now = System.nanoTime();
                            for (int i : ids) {
                                record(i, now);
                            }
                        }
                    });
                }
            });
        }
        // let the streams open before writing
        Thread.sleep(2000);
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        Histogram writes = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        for (int i = 0; i < events; i++) {
            long due = start + i * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long sent = System.nanoTime();
            sentNanos[i] = sent;
            writer.withDeadlineAfter(5, TimeUnit.SECONDS).register(RegisterRequest.newBuilder().setInstance(instance(service, i)).build());
            long acked = System.nanoTime();
            ackNanos.set(i, acked);
            writes.recordValue(Math.min(writes.getHighestTrackableValue(), TimeUnit.NANOSECONDS.toMicros(acked - sent)));
        }
        long expected = (long) watchers * events;
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered.sum() < expected && System.nanoTime() < waitUntil) {
            Thread.sleep(50);
        }
        contexts.forEach(c -> c.cancel(null));
        Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        for (int w = 0; w < watchers; w++) {
            for (int i = 0; i < events; i++) {
                long d = delivery[i * watchers + w];
                if (d != 0) {
                    h.recordValue(Math.min(h.getHighestTrackableValue(), Math.max(0, TimeUnit.NANOSECONDS.toMicros(d - ackNanos.get(i)))));
                }
            }
        }
        if (spread) {
            // per event: when its first and its last watcher got it (after the ack), and how many
            // events had their first delivery later than 20 ms (a stall before the fan-out began)
            Histogram first = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            Histogram last = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            for (int i = 0; i < events; i++) {
                long lo = Long.MAX_VALUE;
                long hi = Long.MIN_VALUE;
                for (int w = 0; w < watchers; w++) {
                    long d = delivery[i * watchers + w];
                    if (d != 0) {
                        lo = Math.min(lo, d);
                        hi = Math.max(hi, d);
                    }
                }
                if (lo != Long.MAX_VALUE) {
                    first.recordValue(Math.min(first.getHighestTrackableValue(), Math.max(0, TimeUnit.NANOSECONDS.toMicros(lo - ackNanos.get(i)))));
                    last.recordValue(Math.min(last.getHighestTrackableValue(), Math.max(0, TimeUnit.NANOSECONDS.toMicros(hi - ackNanos.get(i)))));
                }
            }
            System.out.printf("      per event: first watcher p50 %.2f p90 %.2f p99 %.2f ms; last watcher p50 %.2f p90 %.2f p99 %.2f ms%n",
                    first.getValueAtPercentile(50) / 1000.0, first.getValueAtPercentile(90) / 1000.0, first.getValueAtPercentile(99) / 1000.0,
                    last.getValueAtPercentile(50) / 1000.0, last.getValueAtPercentile(90) / 1000.0, last.getValueAtPercentile(99) / 1000.0);
        }
        if (csv != null && run > warmupRuns) {
            // wall clock of an ack = now (wall) - (now - ack) (monotonic)
            long wallNowMicros = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
            long monoNow = System.nanoTime();
            long[] row = new long[watchers];
            for (int i = 0; i < events; i++) {
                int n = 0;
                for (int w = 0; w < watchers; w++) {
                    long d = delivery[i * watchers + w];
                    if (d != 0) {
                        row[n++] = Math.max(0, d - ackNanos.get(i));
                    }
                }
                Arrays.sort(row, 0, n);
                double ackWallMs = (wallNowMicros - TimeUnit.NANOSECONDS.toMicros(monoNow - ackNanos.get(i))) / 1000.0;
                csv.printf(java.util.Locale.ROOT, "%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f%n", run - warmupRuns, i, ackWallMs,
                        (ackNanos.get(i) - sentNanos[i]) / 1e6, n == 0 ? -1 : row[0] / 1e6, n == 0 ? -1 : row[n / 2] / 1e6,
                        n == 0 ? -1 : row[n - 1] / 1e6);
            }
            csv.flush();
        }
        // distinct (watcher, event) pairs that arrived, so a duplicate cannot stand in for a loss
        return new Result(h.getTotalCount(), expected, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0,
                writes.getValueAtPercentile(50) / 1000.0, writes.getValueAtPercentile(99) / 1000.0);
    }

    private static int parseOrMinusOne(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Instance instance(String service, int i) {
        return Instance.newBuilder().setService(service).setId("i" + i).setHost("127.0.0.1").setPort(10_000 + (i & 0x7fff))
                .setLeaseTtlMs(600_000).build();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new WatchFanoutBench()).execute(args));
    }
}
