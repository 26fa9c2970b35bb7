package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.StatusResponse;
import io.muster.client.RegistryClient;
import io.muster.client.Watch;
import io.muster.testkit.Network;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The robustness run (issue 18): member JVMs with every member-to-member link through a proxy,
 * client traffic recorded as a history, faults from a seeded schedule, then the validators:
 * <ol>
 *   <li>the register / deregister / discover history of each service is linearizable;</li>
 *   <li>no acknowledged write is lost, and every instance read names a port some register wrote
 *       (an unknown outcome is applied or not, never half);</li>
 *   <li>every watch stream, across the client's resumes, is ordered, without duplicate or gap, and
 *       ends equal to the catalog;</li>
 *   <li>the leases kept alive by registration handles (3 s TTL) never expire;</li>
 *   <li>never two leaders in one term; all members converge to the same catalog and revision;</li>
 *   <li>on the minority side of a partition a LINEARIZABLE read fails within its deadline and a
 *       LOCAL read answers.</li>
 * </ol>
 *
 * <p>Profiles (docs/robustness.md): {@code -Drobustness.profile=ci}, the default (3 members, every
 * fault kind but the full-cluster kill once, in a seeded order, about 70 s), {@code off} or {@code long}
 * ({@code -Drobustness.cycles}, default 200, any fault or those of {@code -Drobustness.faults},
 * {@code -Drobustness.members}, default 5).
 * The seed is printed; {@code -Drobustness.seed=N} replays a run's schedule.
 */
@ProcessTest
class RandomizedFaultsKeepEveryGuaranteeTest {

    private static final Duration LINEARIZABLE_READ_DEADLINE = Duration.ofSeconds(3);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aSeededFaultScheduleBreaksNoGuarantee() throws Exception {
        String profile = System.getProperty("robustness.profile", "ci").isBlank() ? "ci" : System.getProperty("robustness.profile", "ci");
        String seedProperty = System.getProperty("robustness.seed", "");
        long seed = seedProperty.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(seedProperty);
        boolean ci = profile.equals("ci");
        int members = Integer.getInteger("robustness.members", ci ? 3 : 5);
        int cycles = Integer.getInteger("robustness.cycles", 200);
        Random random = new Random(seed);
        List<Fault> schedule = Fault.schedule(profile, cycles, Fault.kinds(System.getProperty("robustness.faults")), random);
        System.out.printf("robustness: profile %s, seed %d (replay: -Drobustness.seed=%d), %d members, schedule %s%n",
                profile, seed, seed, members, schedule);

        History history = new History();
        Map<Fault, Integer> ran = new EnumMap<>(Fault.class);
        Map<String, Integer> leaseLossesByFault = new TreeMap<>();
        List<String> minorityViolations = new ArrayList<>();
        int minorityChecks = 0;
        long started = System.nanoTime();

        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(members).proxiedLinks().start();
             LeaderMonitor leaders = new LeaderMonitor(cluster);
             Flapper flapper = new Flapper()) {
            cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT);
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT); // a leader needs only two of three
            leaders.start();
            List<String> targets = cluster.members().stream().map(ProcessCluster.Member::grpcAddress).toList();
            try (Traffic traffic = new Traffic(targets, history, seed);
                 MemberCycle membership = new MemberCycle(cluster, targets)) {
                List<WatchRecorder> watchers = new ArrayList<>();
                List<Watch> watches = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    WatchRecorder r = new WatchRecorder("watch-" + w);
                    watchers.add(r);
                    watches.add(traffic.newClient(2_000 + w).watch(Set.of(), 0, r));
                }
                traffic.startLeaseHandles(4);
                traffic.startWriters(4);

                for (int cycle = 0; cycle < schedule.size(); cycle++) {
                    Fault fault = schedule.get(cycle);
                    Duration hold = Duration.ofMillis(fault == Fault.FREEZE_LEADER ? 5_000 : 3_000 + random.nextInt(3_000));
                    int lostBefore = traffic.leasesLost() + expiredLeases(watchers);
                    System.out.printf("robustness: cycle %d/%d %s for %s (%d ops so far)%n", cycle + 1, schedule.size(), fault, hold, history.size());
                    Set<String> minority = inject(cluster, fault, random, flapper, membership);
                    if (fault.partitions()) {
                        // the isolated side has noticed it has no leader
                        Awaitility.await().pollDelay(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(2)).until(() -> true);
                        for (String m : minority) {
                            minorityChecks++;
                            minorityViolations.addAll(minorityReads(cluster, m));
                        }
                    }
                    Awaitility.await(fault + " held").pollDelay(hold).atMost(hold.plusSeconds(1)).until(() -> true);
                    repair(cluster, flapper, membership);
                    awaitRecovered(cluster);
                    ran.merge(fault, 1, Integer::sum);
                    int lost = traffic.leasesLost() + expiredLeases(watchers) - lostBefore;
                    if (lost > 0) {
                        leaseLossesByFault.merge(fault.name(), lost, Integer::sum);
                    }
                }

                traffic.stopWriters();
                // the end state: converged members, then one linearizable read per service
                Map<String, Map<String, String>> catalog = awaitConverged(cluster);
                try (RegistryClient reader = RegistryClient.builder(targets).build()) {
                    for (String service : history.byService().keySet()) {
                        long invoked = System.nanoTime();
                        var found = reader.discover(service, io.muster.client.DiscoverFilter.all());
                        history.add(Op.discover(-1, service, invoked, System.nanoTime(), MemberCalls.ports(found)));
                    }
                }
                long finalRevision = MemberCalls.status(cluster.channel(cluster.members().get(0).id()), Duration.ofSeconds(2)).getRevision();
                Awaitility.await("every watch reaches revision " + finalRevision).atMost(Duration.ofSeconds(30))
                        .until(() -> watchers.stream().allMatch(w -> w.lastRevision() >= finalRevision));

                // validators
                Map<String, Object> report = new LinkedHashMap<>();
                report.put("profile", profile);
                report.put("seed", seed);
                report.put("members", members);
                report.put("faults run", ran);
                report.put("operations", history.counts());
                LinearizabilityChecker checker = new LinearizabilityChecker(5_000_000);
                List<String> linViolations = new ArrayList<>();
                int inconclusive = 0;
                int checkedOps = 0;
                for (var e : history.byService().entrySet()) {
                    var r = checker.check(e.getValue());
                    checkedOps += r.operations();
                    if (r.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
                        linViolations.add(e.getKey() + ": not linearizable; longest linearizable prefix ends "
                                + tail(r.longestLinearized()) + "; whole history in " + writeHistory(seed, e.getKey(), e.getValue()));
                    } else if (r.verdict() == LinearizabilityChecker.Verdict.INCONCLUSIVE) {
                        inconclusive++;
                    }
                }
                report.put("1 linearizable", linViolations.isEmpty() ? "yes (" + checkedOps + " ops, " + history.byService().size()
                        + " services, " + inconclusive + " inconclusive)" : linViolations);
                List<String> lost = Validators.lostOrHalfWrites(history, catalog);
                report.put("2 no lost or half write", lost.isEmpty() ? "yes" : lost);
                List<String> watchViolations = new ArrayList<>();
                for (WatchRecorder w : watchers) {
                    watchViolations.addAll(w.violations());
                    if (!w.state().equals(catalog)) {
                        watchViolations.add(w.name() + ": final state differs from the catalog: " + w.state() + " vs " + catalog);
                    }
                }
                report.put("3 watches ordered, unique, gapless, equal", watchViolations.isEmpty() ? "yes (" + watchers.stream()
                        .mapToLong(WatchRecorder::events).sum() + " events, " + watchers.stream().mapToInt(WatchRecorder::resumes).sum()
                        + " resumes, " + watchers.stream().mapToInt(WatchRecorder::snapshots).sum() + " snapshots)" : watchViolations);
                report.put("4 kept-alive leases never expire", leaseLossesByFault.isEmpty() ? "yes" : leaseLossesByFault);
                List<String> leaderViolations = leaders.violations();
                report.put("5 one leader per term, converged", leaderViolations.isEmpty() ? "yes (" + leaders.terms() + " terms, "
                        + leaders.polls() + " status polls; revision " + finalRevision + ")" : leaderViolations);
                report.put("6 minority reads", minorityViolations.isEmpty() ? "yes (" + minorityChecks + " isolated members checked)" : minorityViolations);
                report.put("wall time s", (System.nanoTime() - started) / 1_000_000_000);
                report.forEach((k, v) -> System.out.println("robustness: " + k + ": " + v));
                writeSummary(report);
                watches.forEach(Watch::close);

                assertThat(linViolations).as("linearizability (seed %d)", seed).isEmpty();
                assertThat(lost).as("lost or half writes (seed %d)", seed).isEmpty();
                assertThat(watchViolations).as("watch streams (seed %d)", seed).isEmpty();
                assertThat(leaseLossesByFault).as("kept-alive leases lost, by fault (seed %d)", seed).isEmpty();
                assertThat(leaderViolations).as("leaders per term (seed %d)", seed).isEmpty();
                assertThat(minorityViolations).as("minority reads (seed %d)", seed).isEmpty();
            }
        }
    }

    private static String tail(List<Op> ops) {
        return ops.subList(Math.max(0, ops.size() - 4), ops.size()).toString();
    }

    private static int expiredLeases(List<WatchRecorder> watchers) {
        // one EXPIRED event is seen by every watcher: count distinct ones
        Set<String> all = new HashSet<>();
        watchers.forEach(w -> w.expired().stream().filter(e -> e.startsWith(Traffic.LEASED + "/")).forEach(all::add));
        return all.size();
    }

    /** Applies {@code fault}; answers the members on the minority side of a partition (empty otherwise). */
    private static Set<String> inject(ProcessCluster cluster, Fault fault, Random random, Flapper flapper, MemberCycle membership) {
        String leader = cluster.awaitLeader(Duration.ofSeconds(30)).id();
        List<String> ids = cluster.members().stream().map(ProcessCluster.Member::id).toList();
        List<String> followers = new ArrayList<>(ids);
        followers.remove(leader);
        java.util.Collections.shuffle(followers, random);
        String follower = followers.get(0);
        int minoritySize = (ids.size() - 1) / 2;
        Network net = cluster.network();
        switch (fault) {
            case KILL_LEADER -> cluster.kill(leader);
            case KILL_FOLLOWER -> cluster.kill(follower);
            case FREEZE_LEADER -> cluster.freeze(leader);
            case ISOLATE_LEADER, ISOLATE_FOLLOWER -> {
                Set<String> minority = new HashSet<>();
                if (fault == Fault.ISOLATE_LEADER) {
                    minority.add(leader);
                }
                for (String f : followers) {
                    if (minority.size() < minoritySize) {
                        minority.add(f);
                    }
                }
                Set<String> majority = new HashSet<>(ids);
                majority.removeAll(minority);
                net.partition(minority, majority);
                return minority;
            }
            case ONE_WAY_LOSS -> net.loseOneWay(leader, follower);
            case DELAY -> net.delay(ids.get(random.nextInt(ids.size())), Duration.ofMillis(150));
            case FLAPPING -> {
                flapper.start(net, ids.get(random.nextInt(ids.size())));
            }
            case KILL_ALL -> ids.forEach(cluster::kill);
            case REMOVE_AND_ADD_MEMBER -> {
                String victim = ids.get(random.nextInt(ids.size()));
                System.out.printf("robustness:   removing %s (the leader is %s)%n", victim, leader);
                membership.remove(victim);
            }
        }
        return Set.of();
    }

    private static void repair(ProcessCluster cluster, Flapper flapper, MemberCycle membership) {
        flapper.stop();
        cluster.network().heal();
        for (ProcessCluster.Member m : cluster.members()) {
            cluster.thaw(m.id());
            if (!cluster.isRunning(m.id())) {
                cluster.startNode(m.id());
            }
        }
        membership.restore();
    }

    /** A leader, and every member answering with that leader. */
    private static void awaitRecovered(ProcessCluster cluster) {
        Awaitility.await("every member follows one leader").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Set<String> named = new HashSet<>();
                    for (ProcessCluster.Member m : cluster.members()) {
                        try {
                            StatusResponse s = MemberCalls.status(cluster.channel(m.id()), Duration.ofMillis(500));
                            named.add(s.getLeaderId());
                        } catch (StatusRuntimeException e) {
                            return false;
                        }
                    }
                    return named.size() == 1 && !named.contains("");
                });
        cluster.awaitLeader(Duration.ofSeconds(30));
    }

    /**
     * On an isolated member: a LINEARIZABLE read must fail within its deadline (an answer would come
     * from a member that cannot know the latest writes), and a LOCAL read must answer.
     */
    private static List<String> minorityReads(ProcessCluster cluster, String member) {
        List<String> violations = new ArrayList<>();
        String service = Traffic.LEASED;
        long invoked = System.nanoTime();
        try {
            var r = MemberCalls.discover(cluster, member, service, Consistency.LINEARIZABLE, LINEARIZABLE_READ_DEADLINE);
            violations.add(member + " (isolated) answered a LINEARIZABLE read at revision " + r.getRevision());
        } catch (StatusRuntimeException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - invoked);
            if (took.compareTo(LINEARIZABLE_READ_DEADLINE.plusMillis(500)) > 0) {
                violations.add(member + " (isolated): LINEARIZABLE read failed only after " + took + " (" + e.getStatus() + ")");
            }
        }
        try {
            MemberCalls.discover(cluster, member, service, Consistency.LOCAL, Duration.ofSeconds(2));
        } catch (StatusRuntimeException e) {
            violations.add(member + " (isolated): LOCAL read failed: " + e.getStatus());
        }
        return violations;
    }

    /** Every member at the same revision with the same catalog, which it answers. */
    private static Map<String, Map<String, String>> awaitConverged(ProcessCluster cluster) {
        return Awaitility.await("members converge").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    List<Long> revisions = new ArrayList<>();
                    List<Map<String, Map<String, String>>> catalogs = new ArrayList<>();
                    for (ProcessCluster.Member m : cluster.members()) {
                        try {
                            revisions.add(MemberCalls.status(cluster.channel(m.id()), Duration.ofSeconds(1)).getRevision());
                            catalogs.add(MemberCalls.localCatalog(cluster, m.id(), Duration.ofSeconds(2)));
                        } catch (StatusRuntimeException e) {
                            return null;
                        }
                    }
                    return Validators.converged(revisions, catalogs);
                }, c -> c != null);
    }

    /**
     * The whole history of a service that failed the check, in invocation order: the verdict's
     * prefix alone does not say which operation could not be placed (the first finding could not be
     * explained from it).
     */
    private static Path writeHistory(long seed, String service, List<Op> ops) throws IOException {
        Path out = Path.of("target", "robustness-history-" + seed + "-" + service + ".txt");
        StringBuilder b = new StringBuilder();
        ops.stream().sorted(java.util.Comparator.comparingLong(Op::invokedNanos))
                .forEach(o -> b.append(o).append(System.lineSeparator()));
        Files.writeString(out, b.toString());
        return out.toAbsolutePath();
    }

    private static void writeSummary(Map<String, Object> report) throws IOException {
        Path out = Path.of("target", "robustness-summary.txt");
        StringBuilder b = new StringBuilder();
        report.forEach((k, v) -> b.append(k).append(": ").append(v).append(System.lineSeparator()));
        Files.writeString(out, b.toString(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
}
