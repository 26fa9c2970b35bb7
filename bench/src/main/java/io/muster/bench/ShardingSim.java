package io.muster.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Registrations per second and latency of 1, 3 and 9 Raft groups (namespaces sharded over them),
 * estimated by {@link ShardingModel} from one group's measured costs. For each group count and
 * host layout it prints the model's capacity bound and the highest offered rate (searched in 4 %
 * steps) whose p99 stays under {@code --slo-p99-ms} with every request answered within the run,
 * and the latency at half of that rate. Deterministic: same flags, same seed, same table.
 *
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.ShardingSim
 * </pre>
 */
@Command(name = "sharding-sim", mixinStandardHelpOptions = true,
        description = "Estimates registrations/s and latency for 1, 3 and 9 Raft groups from one group's measured costs.")
public final class ShardingSim implements Callable<Integer> {

    // defaults: docs/benchmarks.md, "Scale: a million instances" (see docs/scaling.md for where each comes from)
    @Option(names = "--leader-cpu-us", defaultValue = "54", description = "Leader CPU per registration, apply excluded (default ${DEFAULT-VALUE})")
    double leaderCpuUs;
    @Option(names = "--follower-cpu-us", defaultValue = "12", description = "Follower CPU per registration, apply excluded (default ${DEFAULT-VALUE})")
    double followerCpuUs;
    @Option(names = "--apply-us", defaultValue = "10", description = "Apply-thread time per registration, per replica (default ${DEFAULT-VALUE})")
    double applyUs;
    @Option(names = "--fsync-ms", defaultValue = "0.5", description = "One log flush (default ${DEFAULT-VALUE})")
    double fsyncMs;
    @Option(names = "--rtt-ms", defaultValue = "0.2", description = "Network round trip between hosts and to clients (default ${DEFAULT-VALUE})")
    double rttMs;
    @Option(names = "--cores", defaultValue = "8", description = "Cores per host (default ${DEFAULT-VALUE})")
    int cores;
    @Option(names = "--hosts", split = ",", defaultValue = "3,9", description = "Host counts to lay the groups on (default ${DEFAULT-VALUE})")
    List<Integer> hosts;
    @Option(names = "--groups", split = ",", defaultValue = "1,3,9", description = "Group counts (default ${DEFAULT-VALUE})")
    List<Integer> groups;
    @Option(names = "--namespaces", defaultValue = "100", description = "Namespaces (default ${DEFAULT-VALUE})")
    int namespaces;
    @Option(names = "--zipf", defaultValue = "1.0", description = "Zipf exponent of the namespaces' load, 0 = even (default ${DEFAULT-VALUE})")
    double zipf;
    @Option(names = "--slo-p99-ms", defaultValue = "50", description = "Latency bound of the throughput search (default ${DEFAULT-VALUE})")
    double sloP99Ms;
    @Option(names = "--requests", defaultValue = "30000", description = "Registrations simulated per point (default ${DEFAULT-VALUE})")
    int requests;
    @Option(names = "--seed", defaultValue = "23", description = "Random seed (default ${DEFAULT-VALUE})")
    long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ShardingSim()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() {
        ShardingModel.Costs costs = new ShardingModel.Costs(leaderCpuUs, followerCpuUs, applyUs, fsyncMs, rttMs);
        System.out.printf(Locale.ROOT, "# %s; %d cores per host; %d namespaces, Zipf %.2f; p99 bound %.0f ms; %,d requests per point; seed %d%n",
                costs, cores, namespaces, zipf, sloP99Ms, requests, seed);
        System.out.println("| hosts | groups | placement | capacity bound /s | max /s with p99 ≤ bound | p50 / p99 ms at half of it | busiest host CPU | busiest apply thread | hottest group's share |");
        System.out.println("|---:|---:|---|---:|---:|---|---:|---:|---:|");
        for (int h : hosts) {
            for (int g : groups) {
                for (ShardingModel.Placement p : g == 1 ? List.of(ShardingModel.Placement.hash) : List.of(ShardingModel.Placement.values())) {
                    ShardingModel.Topology topo = new ShardingModel.Topology(h, cores, g, namespaces, zipf, p);
                    row(costs, topo);
                }
            }
        }
        return 0;
    }

    private void row(ShardingModel.Costs costs, ShardingModel.Topology topo) {
        double bound = ShardingModel.capacity(costs, topo);
        ShardingModel.Result best = maxWithinSlo(costs, topo, bound);
        ShardingModel.Result half = new ShardingModel(costs, topo).run(best.offeredPerS() / 2, requests, seed);
        double hottest = java.util.Arrays.stream(topo.groupShares()).max().orElseThrow();
        System.out.printf(Locale.ROOT, "| %d | %d | %s | %,.0f | %,.0f | %.2f / %.2f | %.0f %% | %.0f %% | %.0f %% |%n", topo.hosts(), topo.groups(),
                topo.groups() == 1 ? "-" : topo.placement(), bound, best.completedPerS(), half.p50Ms(), half.p99Ms(),
                100 * best.maxHostBusy(), 100 * best.maxApplyBusy(), 100 * hottest);
    }

    /** The highest offered rate, in 4 % steps of the capacity bound, whose run keeps up and meets the p99 bound. */
    ShardingModel.Result maxWithinSlo(ShardingModel.Costs costs, ShardingModel.Topology topo, double bound) {
        ShardingModel model = new ShardingModel(costs, topo);
        ShardingModel.Result best = null;
        for (int pct = 4; pct <= 100; pct += 4) {
            ShardingModel.Result r = model.run(bound * pct / 100, requests, seed);
            if (r.p99Ms() > sloP99Ms || r.completedPerS() < 0.97 * r.offeredPerS()) {
                break;
            }
            best = r;
        }
        return best != null ? best : model.run(bound * 0.04, requests, seed);
    }
}
