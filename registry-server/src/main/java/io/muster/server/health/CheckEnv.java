package io.muster.server.health;

import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * What an {@link OwnedInstance} needs from its member: the health pool, probers, the proposer,
 * time and randomness (both injected).
 *
 * @param firstDelayMs maps a check interval to the delay of its first probe (jitter)
 * @param stalls       this member's stalls: a timeout across one does not count
 */
record CheckEnv(String selfId, ScheduledExecutorService scheduler, Probers probers,
                Function<Command, CompletableFuture<ProposeResponse>> proposer,
                LongSupplier nanoTime, Clock clock, LongUnaryOperator firstDelayMs, HealthStats stats,
                StallMonitor stalls) {
}
