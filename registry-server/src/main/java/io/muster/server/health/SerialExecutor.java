package io.muster.server.health;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: the serialized context in which
 * the health checker changes what it tracks and owns. {@link #execute} never blocks and never runs
 * the task on the caller's thread, so the Raft apply thread can submit.
 */
final class SerialExecutor implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
    private static final int BATCH = 1024;

    private final Executor delegate;
    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        queue.add(task);
        pending.incrementAndGet();
        schedule();
    }

    /** Tasks submitted and not yet run. */
    int pending() {
        return pending.get();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                delegate.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // shutting down: the pool is gone and so is the work
                scheduled.set(false);
            }
        }
    }

    private void drain() {
        try {
            Runnable task;
            // a bounded batch, then yield the pool thread to probes
            for (int n = 0; n < BATCH && (task = queue.poll()) != null; n++) {
                pending.decrementAndGet();
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    log.error("health checker task failed", e);
                }
            }
        } finally {
            scheduled.set(false);
            if (!queue.isEmpty()) {
                schedule();
            }
        }
    }
}
