package io.muster.server.raft;

/** Raft could not serve the request now (no quorum, shutting down, read index failed). Retryable. */
public final class RaftUnavailableException extends RuntimeException {
    public RaftUnavailableException(String message) {
        super(message, null, false, false);
    }
}
