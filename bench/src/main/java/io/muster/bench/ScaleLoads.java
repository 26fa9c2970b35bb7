package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.testkit.ProcessCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/** The read, watch and lease loads of {@link ScaleBench}, each measured on its own. */
final class ScaleLoads {

    private final ProcessCluster cluster;
    private final int windowS;

    ScaleLoads(ProcessCluster cluster, int windowS) {
        this.cluster = cluster;
        this.windowS = windowS;
    }

    private List<ProcessCluster.Member> running() {
        return cluster.members().stream().filter(m -> cluster.isRunning(m.id())).toList();
    }

    private ProcessCluster.Member aFollower() {
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        return running().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
    }

    private ManagedChannel channel(ProcessCluster.Member m) {
        return cluster.channelTo(m.grpcAddress()).directExecutor().maxInboundMessageSize(64 << 20).build();
    }

    /** Closed-loop Discover calls of {@code service} on a follower, LOCAL then LINEARIZABLE: p50 / p99. */
    void discover(String service, int size) throws InterruptedException {
        ProcessCluster.Member f = aFollower();
        ManagedChannel ch = channel(f);
        System.out.printf(Locale.ROOT, "%n## Discover of a %,d-instance service on follower %s (4 callers, 2 s warm-up, %d s measured)%n%n",
                size, f.id(), windowS);
        System.out.println("| consistency | calls/s | p50 ms | p99 ms | p99.9 ms | instances per answer | answer bytes |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        try {
            for (Consistency c : List.of(Consistency.LOCAL, Consistency.LINEARIZABLE)) {
                DiscoverRequest req = DiscoverRequest.newBuilder().setService(service).setConsistency(c).build();
                Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
                AtomicLong answerSize = new AtomicLong();
                AtomicLong answerBytes = new AtomicLong();
                long[] window = new long[2];
                List<CompletableFuture<Void>> callers = new ArrayList<>();
                long start = System.nanoTime();
                window[0] = start + TimeUnit.SECONDS.toNanos(2);
                window[1] = window[0] + TimeUnit.SECONDS.toNanos(windowS);
                for (int i = 0; i < 4; i++) {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    callers.add(done);
                    new Object() {
                        void next() {
                            long t = System.nanoTime();
                            if (t >= window[1]) {
                                done.complete(null);
                                return;
                            }
                            RegistryGrpc.newStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).discover(req, new StreamObserver<>() {
                                @Override
                                public void onNext(DiscoverResponse r) {
                                    answerSize.set(r.getInstancesCount());
                                    answerBytes.set(r.getSerializedSize());
                                }

                                @Override
                                public void onError(Throwable e) {
                                    done.completeExceptionally(e);
                                }

                                @Override
                                public void onCompleted() {
                                    if (t >= window[0]) {
                                        synchronized (h) {
                                            h.recordValue(Math.min(h.getHighestTrackableValue(), (System.nanoTime() - t) / 1000));
                                        }
                                    }
                                    next();
                                }
                            });
                        }
                    }.next();
                }
                CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).join();
                System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f | %.2f | %,d | %,d |%n", c, h.getTotalCount() / (double) windowS,
                        h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
                        answerSize.get(), answerBytes.get());
            }
        } finally {
            ch.shutdownNow();
        }
    }

    /** A watch of every service from revision 0 on a follower: how long until its initial snapshot is complete. */
    void watchEverything(long expected) throws Exception {
        ProcessCluster.Member f = aFollower();
        ManagedChannel ch = channel(f);
        try {
            AtomicLong got = new AtomicLong();
            AtomicLong bytes = new AtomicLong();
            AtomicLong messages = new AtomicLong();
            AtomicLong firstNanos = new AtomicLong();
            CompletableFuture<Long> complete = new CompletableFuture<>();
            long t0 = System.nanoTime();
            RegistryGrpc.newStub(ch).watch(WatchRequest.getDefaultInstance(), new ClientResponseObserver<WatchRequest, WatchResponse>() {
                private ClientCallStreamObserver<WatchRequest> call;

                @Override
                public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                    call = requestStream;
                }

                @Override
                public void onNext(WatchResponse r) {
                    firstNanos.compareAndSet(0, System.nanoTime());
                    got.addAndGet(r.getInstancesCount());
                    bytes.addAndGet(r.getSerializedSize());
                    messages.incrementAndGet();
                    if (r.getSnapshotComplete()) {
                        complete.complete(System.nanoTime());
                        call.cancel("measured", null);
                    }
                }

                @Override
                public void onError(Throwable t) {
                    complete.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    complete.completeExceptionally(new IllegalStateException("watch ended before its snapshot was complete"));
                }
            });
            long end = complete.get(5, TimeUnit.MINUTES);
            System.out.printf(Locale.ROOT, "%n## A watch of everything on follower %s%n%nfirst message after %.2f s, snapshot complete after %.2f s: "
                            + "%,d instances (expected %,d) in %,d messages, %,.1f MB%n", f.id(), (firstNanos.get() - t0) / 1e9,
                    (end - t0) / 1e9, got.get(), expected, messages.get(), bytes.get() / 1e6);
        } finally {
            ch.shutdownNow();
        }
    }

    /**
     * Keep-alives of every lease in turn, {@code perSecond} of them paced every 10 ms over {@code streams}
     * streams to the leader (a stream whose transport is not ready skips its share: counted). Prints the
     * rate reached and each member's CPU over the window.
     */
    void keepAlive(long[] leases, long perSecond, int streams) throws Exception {
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        ManagedChannel ch = channel(leader);
        AtomicLong answered = new AtomicLong();
        AtomicLong notFound = new AtomicLong();
        List<ClientCallStreamObserver<KeepAliveRequest>> open = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            RegistryGrpc.newStub(ch).keepAlive(new ClientResponseObserver<KeepAliveRequest, KeepAliveResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<KeepAliveRequest> requestStream) {
                    open.add(requestStream);
                }

                @Override
                public void onNext(KeepAliveResponse r) {
                    answered.incrementAndGet();
                    if (!r.getFound()) {
                        notFound.incrementAndGet();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    System.out.println("# keep-alive stream failed: " + Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                }
            });
        }
        List<ProcessCluster.Member> ns = running();
        long perTick = Math.max(1, perSecond / 100);
        long skipped = 0;
        int cursor = 0;
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(3);
        long end = measureFrom + TimeUnit.SECONDS.toNanos(windowS);
        RegisterBench.CpuSample cpu0 = null;
        long answered0 = 0;
        long sent = 0;
        try {
            for (long tick = 0; ; tick++) {
                long at = start + TimeUnit.MILLISECONDS.toNanos(10 * tick);
                long now = System.nanoTime();
                if (at > now) {
                    TimeUnit.NANOSECONDS.sleep(at - now);
                }
                if (cpu0 == null && System.nanoTime() >= measureFrom) {
                    cpu0 = RegisterBench.CpuSample.take(cluster, ns);
                    answered0 = answered.get();
                    sent = 0;
                }
                if (System.nanoTime() >= end) {
                    break;
                }
                for (long k = 0; k < perTick; k++) {
                    ClientCallStreamObserver<KeepAliveRequest> s = open.get((int) (k % open.size()));
                    if (s.isReady()) {
                        s.onNext(KeepAliveRequest.newBuilder().setLeaseId(leases[cursor]).build());
                        sent++;
                    } else {
                        skipped++;
                    }
                    cursor = (cursor + 1) % leases.length;
                }
            }
            long nanos = System.nanoTime() - measureFrom;
            RegisterBench.CpuSample cpu1 = RegisterBench.CpuSample.take(cluster, ns);
            double rate = (answered.get() - answered0) / (nanos / 1e9);
            System.out.printf(Locale.ROOT, "%n## Keep-alives over %d streams to leader %s: %,d/s asked (TTL/3 renewal of %,d leases), %d s measured%n%n",
                    streams, leader.id(), perSecond, leases.length, windowS);
            System.out.printf(Locale.ROOT, "answered %,.0f/s (sent %,.0f/s, %,d skipped as the stream was not ready, %,d answered not found)%n",
                    rate, sent / (nanos / 1e9), skipped, notFound.get());
            for (int i = 0; i < ns.size(); i++) {
                double pct = RegisterBench.CpuSample.percent(cpu0.nodes[i], cpu1.nodes[i], nanos);
                String extra = "";
                if (ns.get(i).equals(leader) && rate > 0) {
                    double usEach = pct / 100 * 1e6 / rate;
                    extra = String.format(Locale.ROOT, ", %.2f µs per keep-alive: %.0f %% of a core at %,d/s", usEach,
                            usEach * perSecond / 1e4, perSecond);
                }
                System.out.printf(Locale.ROOT, "- %s%s CPU %.0f %% of a core%s%n", ns.get(i).id(), ns.get(i).equals(leader) ? " (leader)" : "", pct, extra);
            }
            System.out.printf(Locale.ROOT, "- bench JVM (the clients) %.0f %% of a core%n", RegisterBench.CpuSample.percent(cpu0.self, cpu1.self, nanos));
        } finally {
            open.forEach(s -> s.cancel("done", null));
            ch.shutdownNow();
        }
    }

    /**
     * After a leader change that refreshed every lease: waits until every member holds {@code after}
     * instances; prints when the count first fell, when the last expiry was applied, and the members' CPU.
     */
    void expiry(long before, long after, long ttlMs) throws Exception {
        long t0 = System.nanoTime();
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(30));
        List<ProcessCluster.Member> ns = running();
        // the CPU of the expiry, not of the idle wait before it
        long quietUntil = t0 + TimeUnit.MILLISECONDS.toNanos(ttlMs - 1000);
        while (System.nanoTime() < quietUntil) {
            TimeUnit.NANOSECONDS.sleep(quietUntil - System.nanoTime());
        }
        long cpuFrom = System.nanoTime();
        RegisterBench.CpuSample cpu0 = RegisterBench.CpuSample.take(cluster, ns);
        long firstDrop = -1;
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(ttlMs) + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (ProcessCluster.Member m : ns) {
                long n = ScaleBench.instancesOf(m);
                min = Math.min(min, n);
                max = Math.max(max, n);
            }
            long now = System.nanoTime();
            if (firstDrop < 0 && min >= 0 && min < before) {
                firstDrop = now;
            }
            if (min == after && max == after) {
                break;
            }
            if (now > deadline) {
                throw new IllegalStateException("instances still between " + min + " and " + max + ", expected " + after);
            }
            Thread.sleep(100);
        }
        long done = System.nanoTime();
        RegisterBench.CpuSample cpu1 = RegisterBench.CpuSample.take(cluster, ns);
        System.out.printf(Locale.ROOT, "%n## Expiry of %,d leases at once (TTL %d ms, every lease refreshed by new leader %s)%n%n"
                        + "first expiry seen %.1f s after the leader change, all applied on every member %.1f s after it (%.1f s of expiring)%n",
                before - after, ttlMs, leader.id(), (firstDrop - t0) / 1e9, (done - t0) / 1e9, (done - firstDrop) / 1e9);
        for (int i = 0; i < ns.size(); i++) {
            double cpuS = (cpu1.nodes[i] - cpu0.nodes[i]) / 1e9;
            System.out.printf(Locale.ROOT, "- %s%s CPU %.2f s from 1 s before the TTL ran out until the last expiry (%.1f s), %.0f %% of a core%n",
                    ns.get(i).id(), ns.get(i).equals(leader) ? " (leader)" : "", cpuS, (done - cpuFrom) / 1e9, cpuS * 1e11 / (done - cpuFrom));
        }
    }
}
