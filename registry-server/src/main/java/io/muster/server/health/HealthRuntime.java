package io.muster.server.health;

import io.netty.channel.EventLoopGroup;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The threads, time and randomness a member's health checking runs on, built by the composition
 * root ({@code RegistryNode}) and passed in: {@link HealthChecker} and everything it starts create
 * no pool, thread, clock or random source of their own, so a test can hand them a fake clock and a
 * deterministic scheduler and drive the checks exactly.
 *
 * <p>Queues: the scheduler's queue holds timers and hand-offs that are bounded by what the checker
 * owns (a probe round per event loop or pool, a TTL timer per TTL check, a result hand-off per
 * running probe, a proposal and its timer per instance, the control context's single drain task):
 * its size follows the number of owned checks, never the rate of inputs. The blocking pool is
 * bounded by its builder (threads and queue); a task it refuses fails the work that asked for it.
 *
 * @param scheduler  timers, the checker's serialized control context, plug-in and gRPC probes and
 *                   their results, proposals
 * @param blocking   blocking work (DNS resolution of probe targets that are host names); bounded
 * @param probeLoops the event loops that schedule, run and handle HTTP and TCP probes
 * @param nanoTime   the monotonic clock of every deadline, interval and stall measurement
 * @param clock      wall-clock time, only for the {@code now_ms} of proposed commands
 * @param random     jitter of each check's first probe; used on the control context only
 * @param stalls     this member's stalls (a timeout across one is not counted)
 */
public record HealthRuntime(ScheduledExecutorService scheduler, ExecutorService blocking, EventLoopGroup probeLoops,
                            LongSupplier nanoTime, Clock clock, RandomGenerator random, StallMonitor stalls)
        implements AutoCloseable {

    public HealthRuntime {
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(blocking, "blocking");
        Objects.requireNonNull(probeLoops, "probeLoops");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(stalls, "stalls");
    }

    /**
     * Stops every part: for whoever built this runtime, after the checker and the probers that run
     * on it are closed. Scheduled work is dropped, not run.
     */
    @Override
    public void close() {
        scheduler.shutdownNow();
        blocking.shutdownNow();
        probeLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        stalls.close();
    }
}
