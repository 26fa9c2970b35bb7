package io.muster.server.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A scheduler, a {@code nanoTime} ticker and a wall clock whose time moves only when the test says
 * so (like grpc-java's {@code FakeClock}): tasks run on the test's thread, in {@link #forward}, in
 * time order (submission order for the same instant), periodic ones included. Thread-safe, so
 * another thread may schedule while the test forwards.
 */
public final class FakeTime {

    private final PriorityQueue<Task<?>> due = new PriorityQueue<>();
    private final Scheduler scheduler = new Scheduler();
    private final long start = 1_000_000_000_000L;
    private final Instant wallStart = Instant.parse("2026-12-07T12:00:00Z");
    private long now = start;
    private long sequence;

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public LongSupplier ticker() {
        return this::nanoTime;
    }

    public synchronized long nanoTime() {
        return now;
    }

    /** Time since this clock was made. */
    public synchronized Duration elapsed() {
        return Duration.ofNanos(now - start);
    }

    /** Wall-clock time that moves with the ticker. */
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instant instant() {
                return wallStart.plusNanos(nanoTime() - start);
            }
        };
    }

    /** Tasks waiting (cancelled ones not counted). */
    public synchronized int pendingTasks() {
        return (int) due.stream().filter(t -> !t.isCancelled()).count();
    }

    /** Runs the tasks due now (and those they submit for now). */
    public int runDueTasks() {
        return forward(Duration.ZERO);
    }

    /** Moves time forward by {@code d}, running every task that falls due, in time order. Returns how many ran. */
    public int forward(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        int ran = 0;
        while (true) {
            Task<?> next;
            synchronized (this) {
                next = due.peek();
                if (next == null || next.at > target) {
                    now = target;
                    return ran;
                }
                due.poll();
                now = Math.max(now, next.at);
            }
            if (!next.isCancelled()) {
                next.fire();
                ran++;
            }
        }
    }

    private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
        long at;
        long seq;
        /** 0: once; > 0: fixed rate; < 0: fixed delay. */
        final long period;

        Task(Callable<V> c, long at, long period) {
            super(c);
            this.at = at;
            this.period = period;
            synchronized (FakeTime.this) {
                this.seq = sequence++;
            }
        }

        void fire() {
            if (period == 0) {
                run();
            } else if (runAndReset()) {
                synchronized (FakeTime.this) {
                    at = period > 0 ? at + period : now - period;
                    seq = sequence++;
                    due.add(this);
                }
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Task<?> t = (Task<?>) o;
            return at != t.at ? Long.compare(at, t.at) : Long.compare(seq, t.seq);
        }
    }

    private final class Scheduler extends AbstractExecutorService implements ScheduledExecutorService {
        private volatile boolean shutdown;

        private <V> ScheduledFuture<V> add(Callable<V> c, long delayNanos, long period) {
            if (shutdown) {
                throw new RejectedExecutionException("shut down");
            }
            synchronized (FakeTime.this) {
                Task<V> t = new Task<>(c, now + Math.max(0, delayNanos), period);
                due.add(t);
                return t;
            }
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return add(Executors.callable(command), unit.toNanos(delay), 0);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return add(callable, unit.toNanos(delay), 0);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            return add(Executors.callable(command), unit.toNanos(initialDelay), Math.max(1, unit.toNanos(period)));
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            return add(Executors.callable(command), unit.toNanos(initialDelay), -Math.max(1, unit.toNanos(delay)));
        }

        @Override
        public void execute(Runnable command) {
            schedule(command, 0, TimeUnit.NANOSECONDS);
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
