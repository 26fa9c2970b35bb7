package io.muster.server.watch;

/** A watch that requires a leader, refused by a member that has had none for too long; the message says so. */
public final class LeaderlessException extends RuntimeException {
    public LeaderlessException(String message) {
        super(message, null, false, false);
    }
}
