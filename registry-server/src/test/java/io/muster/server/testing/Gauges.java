package io.muster.server.testing;

import io.muster.server.RegistryNode;

/**
 * A member's gauges, read from its meter registry (what its {@code /metrics} serves): how tests
 * observe what the gRPC API does not answer, without reaching into the member's components.
 */
public final class Gauges {

    private Gauges() {
    }

    /** Open watch streams on the member ({@code muster_watch_watchers}). */
    public static int watchers(RegistryNode node) {
        return (int) gauge(node, "muster.watch.watchers");
    }

    /** The revision of the member's catalog: the last change it applied ({@code muster_catalog_revision}). */
    public static long revision(RegistryNode node) {
        return (long) gauge(node, "muster.catalog.revision");
    }

    /** The Raft term the member knows ({@code muster_raft_term}). */
    public static long term(RegistryNode node) {
        return (long) gauge(node, "muster.raft.term");
    }

    /** The index of the last entry in the member's Raft log ({@code muster_raft_last_log_index}). */
    public static long lastLogIndex(RegistryNode node) {
        return (long) gauge(node, "muster.raft.last.log.index");
    }

    /** The index of the last Raft entry the member applied, or the index its loaded snapshot covers ({@code muster_raft_applied_index}). */
    public static long appliedIndex(RegistryNode node) {
        return (long) gauge(node, "muster.raft.applied.index");
    }

    /** The highest Raft index the member knows committed ({@code muster_raft_commit_index}). */
    public static long commitIndex(RegistryNode node) {
        return (long) gauge(node, "muster.raft.commit.index");
    }

    /** Members this one sees alive and shares the health checks with ({@code muster_health_live_members}). */
    public static int liveMembers(RegistryNode node) {
        return (int) gauge(node, "muster.health.live.members");
    }

    /** Commands the member's catalog rejected when applying them, for one reason label ({@code muster_apply_rejected_total}). */
    public static long rejected(RegistryNode node, String reason) {
        return (long) node.meters().get("muster.apply.rejected").tag("reason", reason).functionCounter().count();
    }

    private static double gauge(RegistryNode node, String name) {
        return node.meters().get(name).gauge().value();
    }
}
