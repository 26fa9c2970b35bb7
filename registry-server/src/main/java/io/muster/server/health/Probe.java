package io.muster.server.health;

import java.util.concurrent.CompletableFuture;

/**
 * One probed check bound to its target, opened when this member takes the check over and closed
 * when it gives it up (which releases shared resources such as a cached gRPC channel).
 */
interface Probe extends AutoCloseable {

    /** Starts one probe; never blocks, never completes exceptionally. */
    CompletableFuture<ProbeResult> run();

    @Override
    default void close() {
    }
}
