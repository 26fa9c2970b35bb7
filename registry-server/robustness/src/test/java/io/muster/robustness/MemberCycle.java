package io.muster.robustness;

import io.muster.api.v1.Member;
import io.muster.client.RegistryClient;
import io.muster.testkit.ProcessCluster;
import java.util.List;

/**
 * A member removed from the cluster (Cluster/RemoveMember, as {@code muster member remove} does) and,
 * at the repair, added back (Cluster/AddMember) with its process still running on its old state:
 * it catches up from the leader. The calls go through a client of every member, as an operator's
 * would, under the run's traffic. One member at a time.
 */
final class MemberCycle implements AutoCloseable {

    private final ProcessCluster cluster;
    private final RegistryClient admin;
    private String removed;

    MemberCycle(ProcessCluster cluster, List<String> targets) {
        this.cluster = cluster;
        this.admin = RegistryClient.builder(targets).build();
    }

    /** Removes {@code id} (the leader steps down once the change commits); returns when it has. */
    synchronized void remove(String id) {
        admin.removeMember(id);
        removed = id;
    }

    /** Adds the removed member back, if one is out; returns when the leader has made it a peer again. */
    synchronized void restore() {
        if (removed == null) {
            return;
        }
        ProcessCluster.Member m = cluster.member(removed);
        admin.addMember(Member.newBuilder().setId(m.id()).setRaftAddress(m.raftAddress()).setGrpcAddress(m.grpcAddress())
                .setPeerAddress(m.peerAddress()).build());
        removed = null;
    }

    @Override
    public void close() {
        admin.close();
    }
}
