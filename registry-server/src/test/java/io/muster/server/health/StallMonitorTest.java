package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The stall record with a fake clock: late wake-ups are stalls, on-time ones are not, overlaps are exact. */
@UnitTest
class StallMonitorTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private long now = 1_000 * MS;
    private final StallMonitor monitor = StallMonitor.manual(Duration.ofMillis(10), Duration.ofMillis(50), () -> now);

    @Test
    void onTimeAndSlightlyLateWakeUpsAreNoStall() {
        monitor.observe(1_010 * MS, 1_010 * MS);
        monitor.observe(1_020 * MS, 1_069 * MS); // 49 ms late: under the threshold
        assertThat(monitor.stalledNanos(0, 2_000 * MS)).isZero();
        assertThat(monitor.excuses(1_000 * MS, 1_600 * MS, 500 * MS)).isFalse();
    }

    @Test
    void aLateWakeUpIsAStallCountedOnlyWhereItOverlapsTheWindow() {
        monitor.observe(2_000 * MS, 2_400 * MS); // a 400 ms pause
        assertThat(monitor.stalledNanos(1_000 * MS, 3_000 * MS)).isEqualTo(400 * MS);
        assertThat(monitor.stalledNanos(2_300 * MS, 2_800 * MS)).isEqualTo(100 * MS);
        assertThat(monitor.stalledNanos(2_400 * MS, 2_900 * MS)).isZero();
        assertThat(monitor.stalledNanos(1_000 * MS, 2_000 * MS)).isZero();
    }

    @Test
    void aTimeoutIsExcusedWhenAtLeastAQuarterOfItWasStalled() {
        monitor.observe(2_000 * MS, 2_125 * MS); // 125 ms
        assertThat(monitor.excuses(1_900 * MS, 2_400 * MS, 500 * MS)).isTrue();
        assertThat(monitor.excuses(2_020 * MS, 2_520 * MS, 500 * MS)).isFalse(); // only 105 ms of it
        assertThat(monitor.excuses(1_900 * MS, 2_900 * MS, 1_000 * MS)).isFalse(); // 125 of 1000 ms
    }

    @Test
    void stallsAddUpAndOnlyTheLatestAreKept() {
        for (int i = 0; i < 100; i++) {
            long at = (10_000 + i * 1_000) * MS;
            monitor.observe(at, at + 60 * MS);
        }
        // the 64 latest stalls of 60 ms each are remembered
        assertThat(monitor.stalledNanos(0, Long.MAX_VALUE / 2)).isEqualTo(64 * 60 * MS);
        assertThat(monitor.stalledNanos(108_000 * MS, 110_000 * MS)).isEqualTo(2 * 60 * MS);
    }

    @Test
    void aRunningMonitorSeesARealPauseOfItsThread() throws Exception {
        // the monitor's own clock jumps: its thread cannot tell a pause from a clock jump, which is the point
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        try (StallMonitor running = startedWith(() -> System.nanoTime() + offset.get())) {
            running.watch(); // a probe waits
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> running.wakeUps() >= 2);
            long from = System.nanoTime();
            offset.set(300 * MS); // as if the process had been frozen for 300 ms
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> running.stalledNanos(from, System.nanoTime() + offset.get()) >= 250 * MS);
        }
    }

    @Test
    void anUnwatchedMonitorSleepsAndAWatchWakesIt() {
        try (StallMonitor running = startedWith(System::nanoTime)) {
            // nobody waits on a timeout: no tick for ten tick lengths
            org.awaitility.Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1))
                    .until(() -> running.wakeUps() == 0);
            running.watch();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> running.wakeUps() >= 3);
            running.unwatch();
            // the tick in progress may end; then it sleeps again
            long settled = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(1)).pollDelay(Duration.ofMillis(30))
                    .until(running::wakeUps, n -> true);
            org.awaitility.Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1))
                    .until(() -> running.wakeUps() == settled);
        }
    }

    private static StallMonitor startedWith(java.util.function.LongSupplier clock) {
        return StallMonitor.startWithClock("stall-monitor-test", Duration.ofMillis(10), Duration.ofMillis(50), clock);
    }
}
