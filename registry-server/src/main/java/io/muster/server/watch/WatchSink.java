package io.muster.server.watch;

import io.muster.api.v1.WatchResponse;

/** Where a watcher's messages go (a gRPC server stream in production). Called from one thread at a time. */
public interface WatchSink {

    /** Whether the transport can take a message without buffering it. */
    boolean isReady();

    void send(WatchResponse response);

    /** Ends the stream normally (after a COMPACTED answer). */
    void complete();
}
