package io.muster.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.muster.server.health.HealthChecker;
import io.muster.server.health.HealthRuntime;
import io.muster.server.health.StallMonitor;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread pools a member builds (besides its scheduler and watch pool), each with a bound on its
 * threads and its queue and a stated answer when both are full. Every refusal is counted in
 * {@code muster_executor_rejected_total{executor}} and logged (at most one warning per pool every
 * 10 s).
 *
 * <ul>
 *   <li>{@code grpc}: gRPC callbacks of member-to-member calls and proposals completed off an event
 *       loop. Full: the task runs on the caller's thread (a Netty event loop or the Raft apply
 *       thread). That is safe because nothing submitted there blocks, and necessary because gRPC
 *       never completes a call whose callback its executor refused.</li>
 *   <li>{@code snapshot}: writing snapshot files. jraft saves one snapshot at a time, so the queue
 *       holds at most one task; a refusal fails that snapshot ({@code EBUSY}) and jraft tries at the
 *       next interval.</li>
 *   <li>health {@code -io}: DNS resolution of probe targets. Full: refused; the probe fails at once
 *       ("resolver busy") instead of timing out behind the queue.</li>
 * </ul>
 *
 * The scheduled pools (the member's and the health pool) keep timers in an unbounded delay queue:
 * each timer belongs to something that is bounded itself (a lease scan, a forwarded call in
 * flight, an owned check), see {@link HealthRuntime}.
 */
final class NodePools {

    private static final Logger log = LoggerFactory.getLogger(NodePools.class);

    static final int GRPC_THREADS = 16;
    static final int GRPC_QUEUE = 10_000;
    static final int SNAPSHOT_QUEUE = 2;
    static final int HEALTH_RESOLVER_THREADS = 8;
    static final int HEALTH_RESOLVER_QUEUE = 1_000;

    private NodePools() {
    }

    static ThreadPoolExecutor grpc(String id, MeterRegistry meters) {
        return bounded("muster-" + id + "-grpc", GRPC_THREADS, GRPC_QUEUE, counted("grpc", meters, new ThreadPoolExecutor.CallerRunsPolicy()));
    }

    static ThreadPoolExecutor snapshot(String id, MeterRegistry meters) {
        return bounded("muster-" + id + "-snapshot", 1, SNAPSHOT_QUEUE, counted("snapshot", meters, new ThreadPoolExecutor.AbortPolicy()));
    }

    /** The health checker's runtime: its pool, resolver pool, probe event loops, stall monitor, clocks and random. */
    static HealthRuntime health(String id, HealthChecker.Options options, Clock clock, MeterRegistry meters) {
        String prefix = "muster-" + id + "-health";
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(options.threads(), new DefaultThreadFactory(prefix, true));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return new HealthRuntime(scheduler,
                bounded(prefix + "-io", HEALTH_RESOLVER_THREADS, HEALTH_RESOLVER_QUEUE,
                        counted("health-resolver", meters, new ThreadPoolExecutor.AbortPolicy())),
                new MultiThreadIoEventLoopGroup(options.ioThreads(), new DefaultThreadFactory(prefix + "-nio", true), NioIoHandler.newFactory()),
                System::nanoTime, clock, new Random(),
                StallMonitor.start(prefix + "-stall-monitor", HealthChecker.STALL_TICK, HealthChecker.STALL_THRESHOLD));
    }

    /** Up to {@code threads} threads (idle ones end after a minute) and a queue of {@code queue} tasks. */
    private static ThreadPoolExecutor bounded(String name, int threads, int queue, RejectedExecutionHandler whenFull) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                new DefaultThreadFactory(name, true), whenFull);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Counts and logs each refusal of a running pool, then applies {@code policy}; a pool that was shut down just refuses. */
    private static RejectedExecutionHandler counted(String executor, MeterRegistry meters, RejectedExecutionHandler policy) {
        Counter rejected = Counter.builder("muster.executor.rejected").tag("executor", executor)
                .description("tasks a full thread pool refused (run on the caller's thread, or failed; see the executor)")
                .register(meters);
        AtomicLong lastWarn = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(10));
        return (task, pool) -> {
            if (pool.isShutdown()) {
                throw new RejectedExecutionException(executor + " pool shut down");
            }
            rejected.increment();
            long now = System.nanoTime();
            long last = lastWarn.get();
            if (now - last >= TimeUnit.SECONDS.toNanos(10) && lastWarn.compareAndSet(last, now)) {
                log.warn("{} pool full ({} threads busy, {} tasks queued): {}", executor, pool.getActiveCount(), pool.getQueue().size(),
                        policy instanceof ThreadPoolExecutor.CallerRunsPolicy ? "running on the caller's thread" : "refused");
            }
            policy.rejectedExecution(task, pool);
        };
    }
}
