package io.muster.server.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Notices when this member was not running: a thread parks for one tick at a time and records every
 * wake-up that came more than a threshold late — a stop-the-world GC pause, a long safepoint, or
 * the whole process starved of CPU. A timeout observed across such a stall says more about this
 * member than about the target, so health probes and member-liveness probes ask
 * {@link #stalledNanos} before they count a timeout as a failure (the idea of memberlist's
 * "Lifeguard" local health awareness).
 *
 * <p>The thread only ticks while someone waits on a timeout: a probe calls {@link #watch()} when it
 * starts and {@link #unwatch()} once it has its answer (and has asked {@link #excuses}). A stall
 * matters only across such a wait, and an idle member then wakes for its probes, not a hundred
 * times a second.
 *
 * <p>Threading: {@link #observe} is called by the monitor thread (or a test); queries and watches
 * may come from any thread. All are short and synchronized; stalls are rare, so the lock is
 * uncontended.
 */
public final class StallMonitor implements AutoCloseable {

    /** Stalls remembered; older ones are forgotten (queries only look back one probe timeout). */
    private static final int CAPACITY = 64;

    private final long tickNanos;
    private final long thresholdNanos;
    private final LongSupplier nanoTime;
    private final Thread thread;
    // guarded by this: a ring of [start, end) stall intervals, oldest overwritten
    private final long[] starts = new long[CAPACITY];
    private final long[] ends = new long[CAPACITY];
    private int size;
    private int next;
    private long lastWake;
    private long wakeUps;
    private int watching;
    private volatile boolean closed;

    private StallMonitor(long tickNanos, long thresholdNanos, LongSupplier nanoTime, String threadName) {
        if (tickNanos <= 0 || thresholdNanos <= 0) {
            throw new IllegalArgumentException("tick: " + tickNanos + "ns, threshold: " + thresholdNanos + "ns (expected: > 0)");
        }
        this.tickNanos = tickNanos;
        this.thresholdNanos = thresholdNanos;
        this.nanoTime = nanoTime;
        this.lastWake = nanoTime.getAsLong();
        if (threadName == null) {
            this.thread = null;
        } else {
            this.thread = new Thread(this::run, threadName);
            this.thread.setDaemon(true);
            this.thread.start();
        }
    }

    /**
     * Starts a monitor thread named {@code threadName} that, while {@linkplain #watch() watched},
     * wakes every {@code tick} (so the tick is the cost: one wake-up per tick) and records wake-ups
     * later than {@code threshold}.
     */
    public static StallMonitor start(String threadName, Duration tick, Duration threshold) {
        return new StallMonitor(tick.toNanos(), threshold.toNanos(), System::nanoTime, threadName);
    }

    /** Like {@link #start}, on the given clock. */
    static StallMonitor startWithClock(String threadName, Duration tick, Duration threshold, LongSupplier nanoTime) {
        return new StallMonitor(tick.toNanos(), threshold.toNanos(), nanoTime, threadName);
    }

    /** A monitor without a thread: the caller reports wake-ups with {@link #observe} (tests). */
    static StallMonitor manual(Duration tick, Duration threshold, LongSupplier nanoTime) {
        return new StallMonitor(tick.toNanos(), threshold.toNanos(), nanoTime, null);
    }

    /** A monitor that never sees a stall (no thread). */
    static StallMonitor none() {
        return new StallMonitor(Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, () -> 0L, null);
    }

    private void run() {
        while (!closed) {
            long expected;
            boolean watched;
            synchronized (this) {
                watched = watching > 0;
                expected = lastWake + tickNanos;
            }
            if (!watched) {
                // nobody waits on a timeout: sleep until a probe starts (watch() unparks)
                LockSupport.park(this);
                continue;
            }
            // the tick is counted from the last wake-up or the start of the watch, whichever is later,
            // so a stall between a probe's start and this thread's first run is seen too
            long wait = expected - nanoTime.getAsLong();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
            observe(expected, nanoTime.getAsLong());
        }
    }

    /**
     * Starts watching for stalls: the thread ticks from now on until every {@code watch()} has had
     * its {@link #unwatch()}. Call before the wait starts, and {@code unwatch()} exactly once after
     * {@link #excuses} was asked about it.
     */
    public void watch() {
        boolean wake;
        synchronized (this) {
            wake = watching++ == 0;
            if (wake) {
                lastWake = Math.max(lastWake, nanoTime.getAsLong());
            }
        }
        if (wake && thread != null) {
            LockSupport.unpark(thread);
        }
    }

    /** Ends one {@link #watch()}; the thread sleeps once none is left. */
    public synchronized void unwatch() {
        watching = Math.max(0, watching - 1);
    }

    /** The monitor meant to wake at {@code expectedWake} and woke at {@code actualWake}. */
    synchronized void observe(long expectedWake, long actualWake) {
        lastWake = Math.max(lastWake, actualWake);
        wakeUps++;
        if (actualWake - expectedWake > thresholdNanos) {
            starts[next] = expectedWake;
            ends[next] = actualWake;
            next = (next + 1) % CAPACITY;
            size = Math.min(size + 1, CAPACITY);
        }
    }

    /**
     * How long this member was stalled within {@code [from, to]}, as far as known at {@code to}
     * (both {@link System#nanoTime} values). A stall still in progress counts too: if the monitor
     * thread has not woken for longer than a tick plus the threshold (it is starved or paused like
     * the caller was, and has not recorded it yet), the time since it should have woken counts
     * (only while watched: an unwatched monitor sleeps on purpose).
     */
    public synchronized long stalledNanos(long from, long to) {
        long total = 0;
        for (int i = 0; i < size; i++) {
            total += overlap(starts[i], ends[i], from, to);
        }
        if (thread != null && watching > 0) {
            long due = lastWake + tickNanos;
            if (to - due > thresholdNanos) {
                total += overlap(due, to, from, to);
            }
        }
        return total;
    }

    /** Wake-ups observed so far (diagnostics). */
    synchronized long wakeUps() {
        return wakeUps;
    }

    private static long overlap(long s, long e, long from, long to) {
        long lo = Math.max(s, from);
        long hi = Math.min(e, to);
        return Math.max(0, hi - lo);
    }

    /**
     * Whether a timeout of {@code timeoutNanos} that ran from {@code startNanos} to {@code nowNanos}
     * is inconclusive: this member was stalled for at least a quarter of the timeout meanwhile.
     */
    public boolean excuses(long startNanos, long nowNanos, long timeoutNanos) {
        long stalled = stalledNanos(startNanos, nowNanos);
        return stalled > 0 && stalled * 4 >= timeoutNanos;
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public String toString() {
        return "StallMonitor{tick=" + TimeUnit.NANOSECONDS.toMillis(tickNanos) + "ms, threshold="
                + TimeUnit.NANOSECONDS.toMillis(thresholdNanos) + "ms}";
    }
}
