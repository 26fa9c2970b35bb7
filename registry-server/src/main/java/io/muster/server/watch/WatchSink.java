package io.muster.server.watch;

import io.muster.api.v1.WatchResponse;
import java.util.concurrent.Executor;

/** Where a watcher's messages go (a gRPC server stream in production). Called from one thread at a time. */
public interface WatchSink {

    /** Whether the transport can take a message without buffering it. */
    boolean isReady();

    void send(WatchResponse response);

    /** Ends the stream normally (after a COMPACTED answer). */
    void complete();

    /**
     * Ends the stream because this member cannot serve it any more (it has had no leader for too
     * long): with UNAVAILABLE and {@code description}, so the client resumes on another member from
     * its last revision. A sink that carries no status just completes.
     */
    default void unavailable(String description) {
        complete();
    }

    /**
     * Ends the stream because its caller may no longer read it (its token was revoked): with
     * PERMISSION_DENIED and {@code description}. A sink that carries no status just completes.
     */
    default void denied(String description) {
        complete();
    }

    /**
     * The thread that owns this sink's transport (a gRPC stream's Netty event loop), where the
     * watcher drains without handing each message to another thread; null to drain on the hub's
     * watch executor. It must never block and must run tasks in order.
     */
    default Executor executor() {
        return null;
    }

    /**
     * The transport connection this sink writes to (equal for the streams of one connection), or
     * null if unknown. On an event loop the watchers of one connection are drained together and
     * that connection is flushed before the next connection's messages are built, so the first
     * connections' bytes are on the wire while the loop is still serving the others.
     */
    default Object connection() {
        return null;
    }
}
