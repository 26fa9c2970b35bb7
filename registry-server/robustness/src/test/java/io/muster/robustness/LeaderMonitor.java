package io.muster.robustness;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.StatusResponse;
import io.muster.testkit.ProcessCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Polls {@code Cluster.Status} of every member every 100 ms and keeps, per Raft term, the members
 * that said they lead it: never two in one term. Runs on its own thread; the member set is read
 * from the cluster on each round (killed members do not answer and are skipped).
 */
final class LeaderMonitor implements AutoCloseable {

    private static final Duration CALL_DEADLINE = Duration.ofMillis(300);

    private final ProcessCluster cluster;
    private final Map<Long, Set<String>> leadersByTerm = new TreeMap<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "robustness-leader-monitor");
        t.setDaemon(true);
        return t;
    });
    private long polls;

    LeaderMonitor(ProcessCluster cluster) {
        this.cluster = cluster;
    }

    void start() {
        poller.scheduleWithFixedDelay(this::poll, 0, 100, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        for (ProcessCluster.Member m : cluster.members()) {
            if (!cluster.isRunning(m.id())) {
                continue;
            }
            try {
                StatusResponse s = MemberCalls.status(cluster.channel(m.id()), CALL_DEADLINE);
                observed(s.getId(), s.getTerm(), s.getIsLeader());
            } catch (StatusRuntimeException e) {
                // frozen, partitioned from us? (no: clients are not proxied), starting: skip this round
            } catch (RuntimeException e) {
                // the cluster is closing
            }
        }
    }

    /** One member's answer: its id, its term, whether it leads that term. */
    synchronized void observed(String id, long term, boolean leader) {
        polls++;
        if (leader) {
            leadersByTerm.computeIfAbsent(term, t -> new TreeSet<>()).add(id);
        }
    }

    /** Terms in which more than one member said it was the leader. */
    synchronized List<String> violations() {
        List<String> v = new ArrayList<>();
        leadersByTerm.forEach((term, ids) -> {
            if (ids.size() > 1) {
                v.add("term " + term + " had leaders " + ids);
            }
        });
        return v;
    }

    synchronized int terms() {
        return leadersByTerm.size();
    }

    synchronized long polls() {
        return polls;
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
