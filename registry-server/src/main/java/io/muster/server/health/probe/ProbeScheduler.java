package io.muster.server.health.probe;

import io.muster.server.health.Probing;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs periodic probes in rounds on one executor (a probe event loop, or the health pool): every
 * probe due within the same tick runs in one wake-up of the executor's thread.
 *
 * <p>Why: a member probing thousands of targets a second with one timer per probe wakes its thread
 * once per probe, and on a small virtual machine the wake-up costs more than the probe (figures:
 * docs/benchmarks.md, "Figures behind choices in the code"). Wake-up times are aligned to a grid of
 * {@code tick}, so the executor wakes at most once a tick whatever the number of probes, and not at
 * all while nothing is scheduled. A probe runs up to one tick before or after its time; its period
 * stays exact on average (fixed rate), and rounds missed during a stall are skipped, not caught up.
 *
 * <p>Threading: {@link #scheduleAtFixedRate} and {@link Handle#cancel} may be called from any thread.
 * The executor may have several threads (the health pool has two): the queue and the armed wake-up
 * are guarded by this object's lock, and tasks run outside it. Without the lock a round that started
 * on a second pool thread before the arming thread had stored its handle saw that stale handle when it
 * re-armed, took it for a pending wake-up, and the rounds stopped for good. Cancelled entries leave the
 * queue when they come due (at most one period later).
 *
 * <p>The queue holds one entry per scheduled probe (the owned probed checks, plus cancelled ones
 * for at most a period), so its size follows what this member owns, not how often anything runs.
 */
final class ProbeScheduler {

    private static final Logger log = LoggerFactory.getLogger(ProbeScheduler.class);

    /** A scheduled probe. */
    interface Handle extends Probing.Schedule {
    }

    private final String name;
    private final ScheduledExecutorService executor;
    private final long tickNanos;
    private final LongSupplier nanoTime;
    private final long origin;
    private final LongAdder rounds = new LongAdder();
    // guarded by this
    private final PriorityQueue<Entry> queue = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private ScheduledFuture<?> wake;
    private long wakeAt;

    ProbeScheduler(String name, ScheduledExecutorService executor, long tickNanos, LongSupplier nanoTime) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tickNanos: " + tickNanos + " (expected: > 0)");
        }
        this.name = name;
        this.executor = executor;
        this.tickNanos = tickNanos;
        this.nanoTime = nanoTime;
        this.origin = nanoTime.getAsLong();
    }

    /**
     * Runs {@code task} on the executor after {@code firstDelayNanos}, then every {@code periodNanos}.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the executor has shut down
     */
    Handle scheduleAtFixedRate(Runnable task, long firstDelayNanos, long periodNanos) {
        if (periodNanos < 2 * tickNanos) {
            throw new IllegalArgumentException("periodNanos: " + periodNanos + " (expected: >= 2 ticks, " + 2 * tickNanos + ")");
        }
        Entry e = new Entry(task, nanoTime.getAsLong() + Math.max(0, firstDelayNanos), periodNanos);
        executor.execute(() -> {
            synchronized (this) {
                if (!e.cancelled) {
                    queue.add(e);
                    arm(e.due);
                }
            }
        });
        return e;
    }

    /** Wake-ups that ran probes so far (diagnostics). */
    long rounds() {
        return rounds.sum();
    }

    /** Makes sure the executor wakes at the grid point at or after {@code due}. Holds the lock. */
    private void arm(long due) {
        long at = origin + Math.floorDiv(due - origin + tickNanos - 1, tickNanos) * tickNanos;
        if (wake != null && wakeAt <= at) {
            return; // an earlier wake-up re-arms for this one
        }
        if (wake != null) {
            wake.cancel(false);
        }
        wakeAt = at;
        wake = executor.schedule(this::round, Math.max(0, at - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
    }

    /** Runs everything due within the next tick, re-queues it, and sleeps until the next one. */
    private void round() {
        rounds.increment();
        List<Entry> due = new ArrayList<>();
        synchronized (this) {
            wake = null;
            long horizon = nanoTime.getAsLong() + tickNanos;
            Entry e;
            while ((e = queue.peek()) != null && e.due <= horizon) {
                queue.poll();
                if (e.cancelled) {
                    continue;
                }
                e.due += e.period;
                if (e.due <= horizon) {
                    e.due += ((horizon - e.due) / e.period + 1) * e.period; // a stall: skip the missed rounds
                }
                queue.add(e);
                due.add(e);
            }
        }
        try {
            for (Entry e : due) {
                try {
                    e.task.run();
                } catch (RuntimeException | Error ex) {
                    // an Error too (a StackOverflowError, say): it must not end the rounds of every other probe
                    log.error("{}: probe task failed; it stays scheduled", name, ex);
                }
            }
        } finally {
            // whatever happened above, the executor wakes again for the next probe due
            synchronized (this) {
                Entry next = queue.peek();
                if (next != null) {
                    arm(next.due);
                }
            }
        }
    }

    private static final class Entry implements Handle {
        final Runnable task;
        final long period;
        long due; // executor thread only, once queued
        volatile boolean cancelled;

        Entry(Runnable task, long due, long period) {
            this.task = task;
            this.due = due;
            this.period = period;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
