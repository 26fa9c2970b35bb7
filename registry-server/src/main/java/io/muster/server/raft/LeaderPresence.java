package io.muster.server.raft;

import java.util.function.LongSupplier;

/**
 * Whether this member has a leader (itself, or one it follows) and for how long it has had none,
 * from jraft's leadership callbacks. A member starts without one. Only two volatile writes happen on
 * the state machine thread; readers (a scheduled check) decide what to do with the answer.
 */
public final class LeaderPresence implements LeadershipListener {

    private final LongSupplier nanoTime;
    private volatile boolean hasLeader;
    private volatile long leaderlessSince;

    public LeaderPresence(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.leaderlessSince = nanoTime.getAsLong();
    }

    /** How long this member has had no leader; 0 while it has one. */
    public long leaderlessNanos() {
        if (hasLeader) {
            return 0;
        }
        return Math.max(0, nanoTime.getAsLong() - leaderlessSince);
    }

    @Override
    public void onLeaderStart(long term) {
        hasLeader = true;
    }

    @Override
    public void onLeaderStop() {
        lost();
    }

    @Override
    public void onStartFollowing(long term) {
        hasLeader = true;
    }

    @Override
    public void onStopFollowing() {
        lost();
    }

    private void lost() {
        if (hasLeader) {
            // the time first, so a reader that sees no leader sees when it went
            leaderlessSince = nanoTime.getAsLong();
            hasLeader = false;
        }
    }
}
