package io.muster.server.raft;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which peers the leader reaches through Raft replication, and the one place that says so in the
 * log: one WARN when a peer becomes unreachable, one INFO when it is back, a WARN reminder at most
 * every {@code reminder} in between. jraft's replicator and bolt log every failed heartbeat and
 * connection attempt instead (dozens of ERROR lines in 20 s); the server's logging configuration
 * drops those lines, so this class is what an operator sees (issue 24).
 *
 * <p>Only the leader replicates, so only the leader judges: a follower keeps the last state it had
 * as leader and reports no opinion ({@link #reachable} empty). A peer is unreachable once jraft has
 * not heard from it within its leader lease in {@code missesToUnreachable} samples in a row, so one
 * late heartbeat under a GC pause is not an outage.
 *
 * <p>Threading: {@link #sample} runs on one scheduled thread; {@link #reachable} and
 * {@link #unreachableEpisodes} are read by the metrics scrape, hence the synchronization.
 */
public final class PeerReachability {

    private static final Logger log = LoggerFactory.getLogger(PeerReachability.class);

    /** What one sample sees: whether this member leads, its peers' Raft addresses and those jraft heard from. */
    public record Sample(boolean leader, Set<String> peers, Set<String> alive) {
        public Sample {
            peers = Set.copyOf(peers);
            alive = Set.copyOf(alive);
        }
    }

    private static final class Peer {
        boolean reachable = true;
        int misses;
        long downSince;
        long remindedAt;
        long episodes;
    }

    private final String self;
    private final Function<String, String> name;
    private final LongSupplier nanoTime;
    private final long reminderNanos;
    private final int missesToUnreachable;
    private final Map<String, Peer> peers = new HashMap<>();
    private boolean leading;

    /**
     * @param self  this member's Raft address (never judged)
     * @param name  a peer's name for the log and the metric label (its member id), from its Raft address
     */
    public PeerReachability(String self, Function<String, String> name, LongSupplier nanoTime, Duration reminder,
                            int missesToUnreachable) {
        this.self = self;
        this.name = name;
        this.nanoTime = nanoTime;
        this.reminderNanos = reminder.toNanos();
        this.missesToUnreachable = missesToUnreachable;
    }

    /** Samples the node: the leader's peers, those alive, and logs the transitions. */
    public void sample(RaftNode raft) {
        boolean leader = raft.isLeader();
        Set<String> all = Set.of();
        Set<String> alive = Set.of();
        if (leader) {
            try {
                all = Set.copyOf(raft.peers());
                alive = Set.copyOf(raft.alivePeers());
            } catch (RuntimeException e) {
                leader = false; // stepped down between the calls
            }
        }
        observe(new Sample(leader, all, alive));
    }

    synchronized void observe(Sample s) {
        leading = s.leader();
        if (!s.leader()) {
            return;
        }
        long now = nanoTime.getAsLong();
        peers.keySet().removeIf(p -> !s.peers().contains(p));
        for (String address : s.peers()) {
            if (address.equals(self)) {
                continue;
            }
            Peer p = peers.computeIfAbsent(address, a -> new Peer());
            if (s.alive().contains(address)) {
                p.misses = 0;
                if (!p.reachable) {
                    p.reachable = true;
                    log.info("peer {} ({}) is reachable again after {} s", name.apply(address), address,
                            Duration.ofNanos(now - p.downSince).toSeconds());
                }
            } else if (p.reachable) {
                if (++p.misses >= missesToUnreachable) {
                    p.reachable = false;
                    p.downSince = now;
                    p.remindedAt = now;
                    p.episodes++;
                    log.warn("peer {} ({}) is unreachable: no Raft heartbeat answered within the leader lease; "
                            + "replication to it is retried quietly, a reminder follows every {} s while it lasts",
                            name.apply(address), address, Duration.ofNanos(reminderNanos).toSeconds());
                }
            } else if (now - p.remindedAt >= reminderNanos) {
                p.remindedAt = now;
                log.warn("peer {} ({}) still unreachable, for {} s", name.apply(address), address,
                        Duration.ofNanos(now - p.downSince).toSeconds());
            }
        }
    }

    /** 1 reachable, 0 not, NaN when this member does not lead (only the leader replicates) or does not know the peer. */
    public synchronized double reachable(String address) {
        Peer p = peers.get(address);
        if (!leading || p == null) {
            return Double.NaN;
        }
        return p.reachable ? 1 : 0;
    }

    /** Times this member, as leader, found {@code address} unreachable. */
    public synchronized long unreachableEpisodes(String address) {
        Peer p = peers.get(address);
        return p == null ? 0 : p.episodes;
    }
}
