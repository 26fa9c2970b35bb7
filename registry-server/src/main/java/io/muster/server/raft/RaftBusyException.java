package io.muster.server.raft;

/**
 * Raft refused because this member is busy with the same kind of work (e.g. a snapshot is being
 * saved). Nothing is wrong with the cluster; the same call succeeds once that work is done.
 */
public final class RaftBusyException extends RuntimeException {
    public RaftBusyException(String message) {
        super(message, null, false, false);
    }
}
