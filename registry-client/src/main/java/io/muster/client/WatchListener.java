package io.muster.client;

import io.grpc.Status;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import java.util.List;

/**
 * Receives a watch's stream. Calls are serialized (never concurrent), in revision order, on the
 * client's callback executor and never under a client lock; an event is delivered exactly once,
 * also across reconnections to other members. A slow listener delays only its own watch.
 */
public interface WatchListener {

    /**
     * The complete current state of the watched services at {@code revision}: at the start (when
     * watching from revision 0) and again after the server answered COMPACTED (a resync). Replace
     * whatever you held.
     */
    void onSnapshot(List<Instance> instances, long revision);

    /** Changes after the last snapshot or event, in revision order. */
    void onEvents(List<Event> events);

    /** Every event up to {@code revision} has been delivered; the stream is idle. */
    default void onProgress(long revision) {
    }

    /** The stream broke and will resume on another member; informational. */
    default void onReconnect(Throwable cause, String nextTarget) {
    }

    /**
     * The watch ended for good with a status no retry can fix ({@code INVALID_ARGUMENT},
     * {@code PERMISSION_DENIED}, {@code UNAUTHENTICATED}, {@code UNIMPLEMENTED}); nothing follows.
     */
    default void onError(Status status) {
    }
}
