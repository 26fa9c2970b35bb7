package io.muster.server.health;

import com.google.common.util.concurrent.MoreExecutors;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serialized context in which the health checker changes what it tracks and owns: Guava's
 * sequential executor over the health pool (tasks one at a time, in submission order), plus a count
 * of the tasks not yet run. {@link #execute} never blocks and never runs the task on the caller's
 * thread, so the Raft apply thread can submit.
 *
 * <p>Bounded: Guava's queue itself has no bound, so every producer is bounded here or by what it
 * is. Catalog events stop at {@link HealthChecker#MAX_PENDING_EVENTS} pending tasks (the checker
 * re-reads the catalog instead); TTL reports use {@link #offer}, refused beyond
 * {@link #MAX_PENDING_REPORTS}; membership changes come at most one per liveness round. A task
 * that throws is logged and the next one runs. Once the pool has shut down, submitted work is
 * dropped (the member is stopping).
 */
final class ControlContext implements Executor {

    private static final Logger log = LoggerFactory.getLogger(ControlContext.class);
    /** Above this many pending tasks a TTL report is refused (the client reports again). */
    static final int MAX_PENDING_REPORTS = 10_000;

    private final String name;
    private final Executor sequential;
    private final AtomicInteger pending = new AtomicInteger();

    ControlContext(String name, Executor pool) {
        this.name = name;
        this.sequential = MoreExecutors.newSequentialExecutor(pool);
    }

    @Override
    public void execute(Runnable task) {
        pending.incrementAndGet();
        try {
            sequential.execute(() -> {
                pending.decrementAndGet();
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    // an Error too: the next task must still run
                    log.error("{}: health checker task failed", name, e);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down: the pool is gone and so is the work
            pending.decrementAndGet();
        }
    }

    /** Runs {@code task} unless {@code maxPending} tasks are already waiting; false if refused. */
    boolean offer(Runnable task, int maxPending) {
        if (pending.get() >= maxPending) {
            return false;
        }
        execute(task);
        return true;
    }

    /** Tasks submitted and not yet started. */
    int pending() {
        return pending.get();
    }
}
