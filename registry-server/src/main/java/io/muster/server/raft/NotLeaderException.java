package io.muster.server.raft;

/** The call needs the leader and this node is not it. {@code leaderRaftAddress} is null when unknown. */
public final class NotLeaderException extends RuntimeException {
    private final String leaderRaftAddress;

    public NotLeaderException(String leaderRaftAddress, String message) {
        super(message, null, false, false);
        this.leaderRaftAddress = leaderRaftAddress;
    }

    public String leaderRaftAddress() {
        return leaderRaftAddress;
    }
}
