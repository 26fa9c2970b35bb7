package io.muster.server.health;

import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What an {@link OwnedInstance} needs from its member: the runtime (health pool, time, randomness,
 * stalls), the probes and the proposer, all passed in.
 */
record CheckEnv(String selfId, HealthRuntime runtime, Probing probing,
                Function<Command, CompletableFuture<ProposeResponse>> proposer, HealthStats stats) {

    ScheduledExecutorService scheduler() {
        return runtime.scheduler();
    }

    LongSupplier nanoTime() {
        return runtime.nanoTime();
    }

    Clock clock() {
        return runtime.clock();
    }

    /** This member's stalls: a timeout across one does not count. */
    StallMonitor stalls() {
        return runtime.stalls();
    }

    /** Delay of the first probe of a check probed every {@code intervalMs}: jittered over the interval. */
    long firstDelayMs(long intervalMs) {
        return runtime.random().nextLong(intervalMs);
    }
}
