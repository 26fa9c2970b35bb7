package io.muster.server.health;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one member's health checking (probes run, failures, proposals). */
final class HealthStats {
    final LongAdder probes = new LongAdder();
    final LongAdder probeFailures = new LongAdder();
    final LongAdder probesSkipped = new LongAdder();
    final LongAdder timeoutsExcused = new LongAdder();
    final LongAdder proposals = new LongAdder();
    final LongAdder proposalFailures = new LongAdder();
    final LongAdder transitions = new LongAdder();
    final LongAdder reports = new LongAdder();
    final LongAdder reportsForwarded = new LongAdder();
    /** TTL reports refused because the control context had {@link ControlContext#MAX_PENDING_REPORTS} tasks waiting. */
    final LongAdder reportsRefused = new LongAdder();
    final LongAdder resyncs = new LongAdder();
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);
    private final AtomicLong lastWarn = new AtomicLong();
    private final LongAdder suppressed = new LongAdder();

    /**
     * Whether a background failure may be logged at WARN now: at most one every 5 s, so that an
     * election with thousands of transitions pending does not flood the log (the rest go to DEBUG
     * and are counted).
     */
    boolean warnNow(long nowNanos) {
        long last = lastWarn.get();
        if ((last == 0 || nowNanos - last >= WARN_EVERY_NANOS) && lastWarn.compareAndSet(last, nowNanos == 0 ? 1 : nowNanos)) {
            return true;
        }
        suppressed.increment();
        return false;
    }

    /** Failures not logged at WARN since the last call. */
    long takeSuppressed() {
        return suppressed.sumThenReset();
    }

    HealthChecker.Stats snapshot(int owned, int tracked, int liveMembers) {
        return new HealthChecker.Stats(owned, tracked, liveMembers, probes.sum(), probeFailures.sum(), probesSkipped.sum(),
                timeoutsExcused.sum(), proposals.sum(), proposalFailures.sum(), transitions.sum(), reports.sum(), reportsForwarded.sum(),
                reportsRefused.sum(), resyncs.sum());
    }
}
