package io.muster.server.raft;

/** Leadership changes of this node. Called on jraft's state machine thread: do not block. */
public interface LeadershipListener {
    /** This node became leader; every entry committed before is applied. */
    void onLeaderStart(long term);

    void onLeaderStop();

    /** This node follows the leader of {@code term} (it heard from it for the first time in that term). */
    default void onStartFollowing(long term) {
    }

    /**
     * This node no longer follows a leader: it heard nothing from it for an election timeout, or a
     * higher term began. Until {@link #onStartFollowing} or {@link #onLeaderStart}, it has no leader.
     */
    default void onStopFollowing() {
    }
}
