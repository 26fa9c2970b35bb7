package io.muster.server.raft;

/** Leadership changes of this node. Called on jraft's state machine thread: do not block. */
public interface LeadershipListener {
    /** This node became leader; every entry committed before is applied. */
    void onLeaderStart(long term);

    void onLeaderStop();
}
