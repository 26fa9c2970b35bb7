package io.muster.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler and ticker whose time moves only when the test says so (like grpc-java's
 * {@code FakeClock}): tasks run on the test's thread, in {@link #forwardTime}. Thread-safe, so gRPC
 * threads may schedule while the test forwards.
 */
final class FakeClock implements Ticker {

    private final PriorityQueue<Task<?>> due = new PriorityQueue<>();
    private final ScheduledExecutorService scheduler = new Scheduler();
    private long now = 1_000_000_000L;
    private long sequence;

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    synchronized int pendingTasks() {
        return (int) due.stream().filter(t -> !t.isCancelled()).count();
    }

    /** Delays of the pending tasks from now, soonest first. */
    synchronized List<Duration> pendingDelays() {
        List<Task<?>> sorted = new ArrayList<>(due);
        sorted.sort(null);
        return sorted.stream().filter(t -> !t.isCancelled()).map(t -> Duration.ofNanos(t.at - now)).toList();
    }

    /** Runs the tasks due now. */
    int runDueTasks() {
        return forwardTime(Duration.ZERO);
    }

    /** Moves time forward by {@code d}, running every task that falls due, in time order. Returns how many ran. */
    int forwardTime(Duration d) {
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
                next.run();
                ran++;
            }
        }
    }

    private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
        final long at;
        final long seq;

        Task(Callable<V> c, long at) {
            super(c);
            this.at = at;
            synchronized (FakeClock.this) {
                this.seq = sequence++;
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

        private <V> ScheduledFuture<V> add(Callable<V> c, long delayNanos) {
            if (shutdown) {
                throw new java.util.concurrent.RejectedExecutionException("shut down");
            }
            synchronized (FakeClock.this) {
                Task<V> t = new Task<>(c, now + Math.max(0, delayNanos));
                due.add(t);
                return t;
            }
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return add(java.util.concurrent.Executors.callable(command), unit.toNanos(delay));
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return add(callable, unit.toNanos(delay));
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            throw new UnsupportedOperationException("the client schedules one task at a time");
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("the client schedules one task at a time");
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
