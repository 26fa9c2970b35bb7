package io.muster.server.health;

import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;

/**
 * One probed check bound to its target, opened when this member takes the check over and closed
 * when it gives it up (which releases shared resources such as a cached gRPC channel).
 */
public interface Probe extends AutoCloseable {

    /** Starts one probe; never blocks, never completes exceptionally. */
    CompletableFuture<ProbeResult> run();

    /**
     * The event loop this probe's I/O runs on, or null if it has none. Scheduling the probe on it
     * (and taking the result there) costs no hand-off between threads per probe.
     */
    default EventLoop eventLoop() {
        return null;
    }

    @Override
    default void close() {
    }
}
