package io.muster.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A discrete-event model of registrations on {@code groups} Raft groups of three replicas placed over
 * {@code hosts} hosts (docs/scaling.md, "Simulation"). Deterministic: the same inputs and seed give the
 * same result. Single-threaded; one instance per run.
 *
 * <p>A registration arrives (Poisson) for a namespace drawn from a Zipf distribution and goes to the
 * leader of the namespace's group: the leader's CPU work ({@link Costs#leaderCpuUs}) on its host's
 * cores, then its log append and, half a round trip later, each follower's CPU work and log append;
 * the entry commits when the leader and one follower have written it. A log writer takes everything
 * queued as one batch and one fsync ({@link Costs#fsyncMs}): group commit, as jraft and Muster's
 * proposal batcher do. After the commit the leader's apply thread (one per replica, serial:
 * {@link Costs#applyUs}) applies it and the answer leaves; the followers apply it half a round trip
 * later. Latency is from arrival to answer plus one client round trip. What the model leaves out:
 * apply threads do not compete for cores, network bandwidth, GC pauses, reads, watches.
 */
final class ShardingModel {

    /** Measured per-registration costs of one group (docs/benchmarks.md, "Scale"). */
    record Costs(double leaderCpuUs, double followerCpuUs, double applyUs, double fsyncMs, double rttMs) {
        Costs {
            if (leaderCpuUs <= 0 || followerCpuUs <= 0 || applyUs <= 0 || fsyncMs < 0 || rttMs < 0) {
                throw new IllegalArgumentException("costs: cpu and apply > 0, fsync and rtt >= 0: " + leaderCpuUs + ", "
                        + followerCpuUs + ", " + applyUs + ", " + fsyncMs + ", " + rttMs);
            }
        }
    }

    enum Placement { hash, balanced }

    /** Where groups and namespaces are: replica j of group g on host (g + j * stride) mod hosts, stride = hosts / 3. */
    record Topology(int hosts, int coresPerHost, int groups, int namespaces, double zipfS, Placement placement) {
        Topology {
            if (hosts < 3 || coresPerHost < 1 || groups < 1 || namespaces < groups || zipfS < 0) {
                throw new IllegalArgumentException("topology: hosts >= 3, cores >= 1, groups >= 1, namespaces >= groups, zipf >= 0");
            }
        }

        int host(int group, int replica) {
            int stride = Math.max(1, hosts / 3);
            return Math.floorMod(group + replica * stride, hosts);
        }

        /** Share of the requests of each namespace (Zipf with exponent {@code zipfS}; 0 = uniform). */
        double[] namespaceShares() {
            double[] w = new double[namespaces];
            double sum = 0;
            for (int i = 0; i < namespaces; i++) {
                w[i] = 1 / Math.pow(i + 1, zipfS);
                sum += w[i];
            }
            for (int i = 0; i < namespaces; i++) {
                w[i] /= sum;
            }
            return w;
        }

        /** The group of each namespace: a hash of its name, or the lightest group first, heaviest namespace first. */
        int[] groupOf() {
            int[] out = new int[namespaces];
            if (placement == Placement.hash) {
                for (int i = 0; i < namespaces; i++) {
                    long h = (i + 1) * 0x9E3779B97F4A7C15L;
                    h ^= h >>> 31;
                    out[i] = (int) Math.floorMod(h, (long) groups);
                }
                return out;
            }
            double[] share = namespaceShares();
            Integer[] order = new Integer[namespaces];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -share[i]));
            double[] load = new double[groups];
            for (int ns : order) {
                int best = 0;
                for (int g = 1; g < groups; g++) {
                    if (load[g] < load[best]) {
                        best = g;
                    }
                }
                out[ns] = best;
                load[best] += share[ns];
            }
            return out;
        }

        double[] groupShares() {
            double[] share = namespaceShares();
            int[] group = groupOf();
            double[] out = new double[groups];
            for (int i = 0; i < namespaces; i++) {
                out[group[i]] += share[i];
            }
            return out;
        }
    }

    /** One run: offered and completed rates, latency percentiles (ms), the busiest host's CPU and apply thread (0-1). */
    record Result(double offeredPerS, double completedPerS, double p50Ms, double p99Ms, double maxHostBusy, double maxApplyBusy) {
    }

    /**
     * The registrations per second at which the busiest host's cores or the busiest apply thread is
     * 100 % busy: what no placement of requests in time can exceed.
     */
    static double capacity(Costs costs, Topology topo) {
        double[] share = topo.groupShares();
        double[] hostUsPerRequest = new double[topo.hosts()];
        double maxApply = 0;
        for (int g = 0; g < topo.groups(); g++) {
            hostUsPerRequest[topo.host(g, 0)] += share[g] * costs.leaderCpuUs();
            for (int r = 1; r < 3; r++) {
                hostUsPerRequest[topo.host(g, r)] += share[g] * costs.followerCpuUs();
            }
            maxApply = Math.max(maxApply, share[g] * costs.applyUs());
        }
        double maxHost = Arrays.stream(hostUsPerRequest).max().orElseThrow() / topo.coresPerHost();
        return 1e6 / Math.max(maxHost, maxApply);
    }

    // ---- the event loop ----

    private record Event(double at, long seq, Runnable action) {
    }

    private final PriorityQueue<Event> events = new PriorityQueue<>(
            Comparator.comparingDouble(Event::at).thenComparingLong(Event::seq));
    private long seq;
    private double now;

    private void at(double time, Runnable action) {
        events.add(new Event(time, seq++, action));
    }

    /** {@code servers} identical servers with one FIFO queue; tracks busy time. */
    private final class Station {
        private final int servers;
        private final ArrayDeque<double[]> waitingService = new ArrayDeque<>();
        private final ArrayDeque<Runnable> waitingDone = new ArrayDeque<>();
        private int busy;
        double busyUs;

        Station(int servers) {
            this.servers = servers;
        }

        void submit(double serviceUs, Runnable done) {
            if (busy < servers) {
                start(serviceUs, done);
            } else {
                waitingService.add(new double[] {serviceUs});
                waitingDone.add(done);
            }
        }

        private void start(double serviceUs, Runnable done) {
            busy++;
            busyUs += serviceUs;
            at(now + serviceUs, () -> {
                busy--;
                if (!waitingDone.isEmpty()) {
                    start(waitingService.poll()[0], waitingDone.poll());
                }
                done.run();
            });
        }
    }

    /** A log writer: everything queued while it is idle goes out as one batch, one fsync. */
    private final class Writer {
        private final double fsyncUs;
        private List<Runnable> queued = new ArrayList<>();
        private boolean writing;

        Writer(double fsyncUs) {
            this.fsyncUs = fsyncUs;
        }

        void append(Runnable done) {
            queued.add(done);
            if (!writing) {
                flush();
            }
        }

        private void flush() {
            List<Runnable> batch = queued;
            queued = new ArrayList<>();
            writing = true;
            at(now + fsyncUs, () -> {
                writing = false;
                batch.forEach(Runnable::run);
                if (!queued.isEmpty()) {
                    flush();
                }
            });
        }
    }

    private final Costs costs;
    private final Topology topo;

    ShardingModel(Costs costs, Topology topo) {
        this.costs = costs;
        this.topo = topo;
    }

    /** Simulates {@code requests} registrations arriving at {@code offeredPerS}; latencies of all but the first 10 %. */
    Result run(double offeredPerS, int requests, long seed) {
        if (offeredPerS <= 0 || requests < 10) {
            throw new IllegalArgumentException("offeredPerS > 0 and requests >= 10");
        }
        events.clear();
        seq = 0;
        now = 0;
        SplittableRandom random = new SplittableRandom(seed);
        Station[] cpus = new Station[topo.hosts()];
        Arrays.setAll(cpus, h -> new Station(topo.coresPerHost()));
        Station[][] apply = new Station[topo.groups()][3];
        Writer[][] logs = new Writer[topo.groups()][3];
        for (int g = 0; g < topo.groups(); g++) {
            for (int r = 0; r < 3; r++) {
                apply[g][r] = new Station(1);
                logs[g][r] = new Writer(costs.fsyncMs() * 1000);
            }
        }
        double[] cdf = topo.namespaceShares();
        for (int i = 1; i < cdf.length; i++) {
            cdf[i] += cdf[i - 1];
        }
        int[] groupOf = topo.groupOf();
        double halfRtt = costs.rttMs() * 500;
        double[] latency = new double[requests];
        int[] done = {0};
        int skip = requests / 10;
        double t = 0;
        for (int i = 0; i < requests; i++) {
            t += -Math.log(1 - random.nextDouble()) / offeredPerS * 1e6;
            int id = i;
            double arrival = t;
            int ns = Math.min(cdf.length - 1, Math.abs(Arrays.binarySearch(cdf, random.nextDouble()) + 1));
            int g = groupOf[ns];
            at(arrival, () -> cpus[topo.host(g, 0)].submit(costs.leaderCpuUs(), () -> {
                int[] acks = {0};
                Runnable ack = () -> {
                    if (++acks[0] == 2) { // the leader's own write and one follower's: a majority of three
                        apply[g][0].submit(costs.applyUs(), () -> {
                            latency[id] = now - arrival + 2 * halfRtt;
                            done[0]++;
                        });
                        at(now + halfRtt, () -> {
                            apply[g][1].submit(costs.applyUs(), () -> { });
                            apply[g][2].submit(costs.applyUs(), () -> { });
                        });
                    }
                };
                logs[g][0].append(ack);
                for (int r = 1; r < 3; r++) {
                    int replica = r;
                    at(now + halfRtt, () -> cpus[topo.host(g, replica)].submit(costs.followerCpuUs(),
                            () -> logs[g][replica].append(() -> at(now + halfRtt, ack))));
                }
            }));
        }
        double lastArrival = t;
        while (!events.isEmpty()) {
            Event e = events.poll();
            now = e.at();
            e.action().run();
        }
        double[] measured = Arrays.copyOfRange(latency, skip, requests);
        Arrays.sort(measured);
        double maxHost = 0;
        for (Station s : cpus) {
            maxHost = Math.max(maxHost, s.busyUs / topo.coresPerHost() / now);
        }
        double maxApply = 0;
        for (Station[] group : apply) {
            maxApply = Math.max(maxApply, group[0].busyUs / now);
        }
        return new Result(offeredPerS, done[0] / now * 1e6, percentile(measured, 50) / 1000, percentile(measured, 99) / 1000,
                maxHost, maxApply);
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
