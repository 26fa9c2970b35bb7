package io.muster.server.health.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.ClusterTest;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probe scheduler on a real event loop: probes due in the same tick share one wake-up of the
 * loop, each keeps its period (never two runs in one round), a cancelled probe stops, a failing one
 * stays scheduled without disturbing the others, and nothing wakes the loop once all are cancelled.
 */
@ClusterTest
class ProbeSchedulerRoundsTest {

    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long PERIOD = TimeUnit.MILLISECONDS.toNanos(200);

    private EventLoopGroup group;
    private EventLoop loop;
    private ProbeScheduler scheduler;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        scheduler = new ProbeScheduler("test", loop, TICK, System::nanoTime);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void probesDueInTheSameTickShareOneWakeUp() {
        int tasks = 500;
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger offLoop = new AtomicInteger();
        long start = System.nanoTime();
        for (int i = 0; i < tasks; i++) {
            // phases spread evenly over the period: one timer per probe would wake the loop 500 times a period
            scheduler.scheduleAtFixedRate(() -> {
                runs.incrementAndGet();
                if (!loop.inEventLoop()) {
                    offLoop.incrementAndGet();
                }
            }, i * PERIOD / tasks, PERIOD);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> runs.get() >= 5 * tasks);
        long ticks = (System.nanoTime() - start) / TICK;
        assertThat(scheduler.rounds()).as("wake-ups in %d ticks", ticks).isLessThanOrEqualTo(ticks + 2);
        assertThat(offLoop.get()).isZero();
    }

    @Test
    void eachProbeKeepsItsPeriodAndNeverRunsTwiceInARound() {
        List<ConcurrentLinkedQueue<Long>> runsAt = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ConcurrentLinkedQueue<Long> at = new ConcurrentLinkedQueue<>();
            runsAt.add(at);
            scheduler.scheduleAtFixedRate(() -> at.add(System.nanoTime()), i * TICK / 3, PERIOD);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> runsAt.stream().allMatch(q -> q.size() >= 6));
        for (ConcurrentLinkedQueue<Long> q : runsAt) {
            List<Long> at = new ArrayList<>(q);
            for (int i = 1; i < at.size(); i++) {
                // a run may be up to a tick early or late, so two runs are at least a period less two ticks
                // apart; the time is taken when the task runs, so allow 1 ms for its place in its round
                // (far below a tick: two runs in one round would still fail)
                assertThat(at.get(i) - at.get(i - 1)).isGreaterThanOrEqualTo(PERIOD - 2 * TICK - 1_000_000L);
            }
        }
    }

    @Test
    void aCancelledProbeStopsAndAFailingOneStaysScheduled() {
        AtomicInteger cancelledRuns = new AtomicInteger();
        AtomicInteger failingRuns = new AtomicInteger();
        AtomicInteger otherRuns = new AtomicInteger();
        ProbeScheduler.Handle cancelled = scheduler.scheduleAtFixedRate(cancelledRuns::incrementAndGet, 0, PERIOD);
        scheduler.scheduleAtFixedRate(() -> {
            failingRuns.incrementAndGet();
            throw new IllegalStateException("probe blew up");
        }, 0, PERIOD);
        scheduler.scheduleAtFixedRate(otherRuns::incrementAndGet, 0, PERIOD);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cancelledRuns.get() >= 2);
        cancelled.cancel();
        int before = cancelledRuns.get();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> failingRuns.get() >= 5 && otherRuns.get() >= 5);
        // at most the run that was starting while it was cancelled
        assertThat(cancelledRuns.get()).isLessThanOrEqualTo(before + 1);
    }

    @Test
    void aProbeThatThrowsAnErrorDoesNotStopTheRounds() {
        // a round used to catch only RuntimeException: an Error (a StackOverflowError from a deep
        // hand-over chain) left the scheduler unarmed, and every probe of the loop stopped silently
        AtomicInteger erroringRuns = new AtomicInteger();
        AtomicInteger otherRuns = new AtomicInteger();
        scheduler.scheduleAtFixedRate(() -> {
            erroringRuns.incrementAndGet();
            throw new StackOverflowError("deep");
        }, 0, PERIOD);
        scheduler.scheduleAtFixedRate(otherRuns::incrementAndGet, PERIOD / 2, PERIOD);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> erroringRuns.get() >= 5 && otherRuns.get() >= 5);
    }

    @Test
    void nothingWakesTheLoopOnceEveryProbeIsCancelled() {
        List<ProbeScheduler.Handle> handles = new ArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 50; i++) {
            handles.add(scheduler.scheduleAtFixedRate(runs::incrementAndGet, i * TICK, PERIOD));
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 100);
        handles.forEach(ProbeScheduler.Handle::cancel);
        int runsAtCancel = runs.get();
        // cancelled entries leave the queue when they come due, within one period; then the loop sleeps
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> idleFor(2 * PERIOD));
        assertThat(runs.get()).isLessThanOrEqualTo(runsAtCancel + 1);
    }

    /** True if the scheduler does not wake during {@code nanos} (waits on the loop's own timer, not a sleep). */
    private boolean idleFor(long nanos) throws Exception {
        long before = scheduler.rounds();
        loop.schedule(() -> null, nanos, TimeUnit.NANOSECONDS).get(10, TimeUnit.SECONDS);
        return scheduler.rounds() == before;
    }

    @Test
    void rejectsAPeriodShorterThanTwoTicks() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> scheduler.scheduleAtFixedRate(() -> { }, 0, TICK))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: >= 2 ticks");
    }

    /**
     * A pool whose first wake-up starts its round at once on the other thread, before {@code schedule}
     * returns (and so before the scheduler can store the handle), the worst interleaving of a real
     * two-thread pool, which once stopped the rounds of a member for good.
     */
    private static final class EagerPool extends java.util.concurrent.ScheduledThreadPoolExecutor {
        private final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);

        EagerPool() {
            super(2);
        }

        @Override
        public void execute(Runnable command) {
            super.schedule(command, 0, TimeUnit.NANOSECONDS); // not through the override below
        }

        @Override
        public java.util.concurrent.ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            if (!first.compareAndSet(true, false)) {
                return super.schedule(command, delay, unit);
            }
            // the first wake-up: as if the arming thread lost its core for the whole delay
            java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ScheduledFuture<?> f = super.schedule(() -> {
                try {
                    command.run();
                } finally {
                    ran.countDown();
                }
            }, 0, unit);
            try {
                // give the round a head start on the other thread; it may be blocked (by the task, or by the scheduler's lock)
                ran.await(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return f;
        }
    }

    @Test
    void aRoundThatStartsOnAnotherPoolThreadBeforeItsWakeUpIsRecordedKeepsTheRoundsGoing() throws Exception {
        EagerPool pool = new EagerPool();
        try {
            ProbeScheduler onPool = new ProbeScheduler("pool", pool, TICK, System::nanoTime);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            AtomicInteger runs = new AtomicInteger();
            onPool.scheduleAtFixedRate(() -> {
                if (runs.incrementAndGet() == 1) {
                    try {
                        release.await(5, TimeUnit.SECONDS); // the first run lasts until the arming thread is done
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, 0, PERIOD);
            // the task that queued the probe (and armed the first wake-up) has finished on its thread
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> pool.getCompletedTaskCount() >= 1);
            release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
        } finally {
            pool.shutdownNow();
        }
    }
}
