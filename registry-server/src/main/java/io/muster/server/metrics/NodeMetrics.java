package io.muster.server.metrics;

import io.muster.api.Routing;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.Rejection;
import io.muster.server.health.HealthChecker;
import io.muster.server.lease.LeaseManager;
import io.muster.server.raft.PeerReachability;
import io.muster.server.raft.RaftNode;
import io.muster.server.watch.WatchHub;

/** Gauges of one registry node: Raft progress, catalog size, leases and watchers. */
public final class NodeMetrics {
    private NodeMetrics() {
    }

    public static void bind(MeterRegistry r, RaftNode raft, Catalog catalog, WatchHub watches, LeaseManager leases) {
        Gauge.builder("muster.raft.term", raft, RaftNode::term).description("Raft term known to this node").register(r);
        Gauge.builder("muster.raft.leader", raft, n -> n.isLeader() ? 1 : 0).description("1 if this node is the leader").register(r);
        Gauge.builder("muster.raft.commit.index", raft, RaftNode::committedIndex).register(r);
        Gauge.builder("muster.raft.applied.index", raft, RaftNode::appliedIndex).register(r);
        Gauge.builder("muster.raft.last.log.index", raft, RaftNode::lastLogIndex).register(r);
        FunctionCounter.builder("muster.raft.proposed.entries", raft, RaftNode::proposedEntries)
                .description("log entries proposed as leader; a group-commit batch counts once").register(r);
        FunctionCounter.builder("muster.raft.proposed.commands", raft, RaftNode::proposedCommands)
                .description("commands proposed as leader, in all entries").register(r);
        FunctionCounter.builder("muster.raft.commit.push.rounds", raft, RaftNode::commitPushRounds)
                .description("heartbeat rounds sent to tell the followers a new commit index").register(r);
        FunctionCounter.builder("muster.raft.peer.connection.resets", raft, RaftNode::peerConnectionResets)
                .description("times the leader closed its Raft connections to a peer it could not reach without a usable one").register(r);
        Gauge.builder("muster.catalog.revision", catalog, Catalog::revision).register(r);
        for (Rejection.Reason reason : Rejection.Reason.values()) {
            if (reason == Rejection.Reason.INVALID_REQUEST) {
                continue; // an API-side label: the catalog labels every rejection with its operation's
            }
            // every label from the start (zero until it happens), so a rule broken once is visible
            FunctionCounter.builder("muster.apply.rejected", catalog, c -> c.rejected(reason)).tag("reason", reason.label())
                    .description("commands the catalog rejected when applying them (the same on every member)").register(r);
        }
        Gauge.builder("muster.catalog.instances", catalog, c -> c.read(v -> v.allInstances().size())).register(r);
        Gauge.builder("muster.catalog.instances.routable", catalog, c -> c.read(v -> v.allInstances().stream()
                .filter(Routing::isRoutable).count())).register(r);
        Gauge.builder("muster.catalog.services", catalog, c -> c.read(Catalog.View::serviceCount)).register(r);
        Gauge.builder("muster.watch.watchers", watches, WatchHub::watcherCount).register(r);
        Gauge.builder("muster.watch.compacted", watches, WatchHub::compactedCount).description("watchers answered COMPACTED").register(r);
        Gauge.builder("muster.watch.leaderless.ended", watches, WatchHub::leaderlessEndedCount)
                .description("watch streams ended with UNAVAILABLE because this member had no leader").register(r);
        Gauge.builder("muster.watch.history.oldest", watches, w -> w.history().oldestAvailable()).register(r);
        Gauge.builder("muster.lease.count", leases, LeaseManager::size).register(r);
    }

    /**
     * The leader's view of each configured peer through Raft replication: 1 reachable, 0 not, NaN on
     * followers (only the leader replicates); and how often each became unreachable.
     */
    public static void bindPeers(MeterRegistry r, PeerReachability peers, java.util.Map<String, String> idByRaftAddress) {
        idByRaftAddress.forEach((address, id) -> {
            Gauge.builder("muster.peer.reachable", peers, p -> p.reachable(address)).tag("peer", id)
                    .description("1 if the leader reaches this peer through Raft, 0 if not, NaN on followers").register(r);
            FunctionCounter.builder("muster.peer.unreachable", peers, p -> p.unreachableEpisodes(address)).tag("peer", id)
                    .description("times this member, as leader, found the peer unreachable").register(r);
        });
    }

    /** Health checking of this member: owned checks, probes and their results, proposed transitions. */
    public static void bindHealth(MeterRegistry r, HealthChecker h) {
        Gauge.builder("muster.health.owned.instances", h, c -> c.stats().owned()).description("instances whose checks this member runs").register(r);
        Gauge.builder("muster.health.tracked.instances", h, c -> c.stats().tracked()).register(r);
        Gauge.builder("muster.health.live.members", h, c -> c.stats().liveMembers()).register(r);
        FunctionCounter.builder("muster.health.probes", h, c -> c.stats().probes()).description("probes run").register(r);
        FunctionCounter.builder("muster.health.probe.failures", h, c -> c.stats().probeFailures()).register(r);
        FunctionCounter.builder("muster.health.probes.skipped", h, c -> c.stats().probesSkipped())
                .description("scheduled probes skipped because the previous probe of the check had not finished").register(r);
        FunctionCounter.builder("muster.health.timeouts.excused", h, c -> c.stats().timeoutsExcused())
                .description("probe timeouts not counted because this member was stalled meanwhile").register(r);
        FunctionCounter.builder("muster.health.proposals", h, c -> c.stats().proposals()).description("transitions proposed").register(r);
        FunctionCounter.builder("muster.health.transitions", h, c -> c.stats().transitions()).description("transitions proposed and applied").register(r);
        FunctionCounter.builder("muster.health.proposal.failures", h, c -> c.stats().proposalFailures()).register(r);
        FunctionCounter.builder("muster.health.reports", h, c -> c.stats().reports()).description("TTL-check reports received").register(r);
        FunctionCounter.builder("muster.health.reports.refused", h, c -> c.stats().reportsRefused())
                .description("TTL-check reports refused (UNAVAILABLE) because the health checker had too many tasks waiting").register(r);
        FunctionCounter.builder("muster.health.resyncs", h, c -> c.stats().resyncs())
                .description("catalog re-reads after the health checker fell too many events behind").register(r);
    }
}
