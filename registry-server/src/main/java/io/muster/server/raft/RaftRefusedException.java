package io.muster.server.raft;

/**
 * Raft refused a request that cannot succeed in the cluster's present state (e.g. a leadership
 * transfer to a member that is not caught up, or while another transfer runs). Not retryable as is.
 */
public final class RaftRefusedException extends RuntimeException {
    public RaftRefusedException(String message) {
        super(message, null, false, false);
    }
}
