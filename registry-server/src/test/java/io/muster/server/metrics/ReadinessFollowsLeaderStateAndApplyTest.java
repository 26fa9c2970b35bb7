package io.muster.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link Readiness} on a fake ticker: each signal that makes a member not ready, and the leader grace of one election timeout. */
@UnitTest
class ReadinessFollowsLeaderStateAndApplyTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final AtomicReference<Readiness.Signals> signals = new AtomicReference<>(
            new Readiness.Signals(false, false, false, null, 0, 0));
    private final Readiness readiness = new Readiness(signals::get, now::get, Duration.ofMillis(1000), 16);

    private void set(boolean serving, boolean started, boolean stopped, String leader, long committed, long applied) {
        signals.set(new Readiness.Signals(serving, started, stopped, leader, committed, applied));
    }

    private void advanceMs(long ms) {
        now.addAndGet(Duration.ofMillis(ms).toNanos());
    }

    @Test
    void readyOnlyWithServersRaftALeaderAndTheAppliedStateCaughtUp() {
        assertThat(readiness.check()).isEqualTo(new Readiness.Verdict(false, "gRPC servers not serving"));
        set(true, false, false, null, 0, 0);
        assertThat(readiness.check().reason()).isEqualTo("raft not started");
        set(true, true, false, null, 0, 0);
        assertThat(readiness.check().reason()).isEqualTo("no leader yet");
        set(true, true, false, "127.0.0.1:1", 10, 10);
        assertThat(readiness.check().ready()).isTrue();
        set(true, true, false, "127.0.0.1:1", 100, 60);
        assertThat(readiness.check().reason()).isEqualTo("applying: 60 of 100 committed entries");
        set(true, true, false, "127.0.0.1:1", 100, 84);
        assertThat(readiness.check().ready()).isTrue();
        set(true, true, true, "127.0.0.1:1", 100, 100);
        assertThat(readiness.check().ready()).isFalse();
        assertThat(readiness.check().reason()).startsWith("raft stopped");
    }

    @Test
    void aLeaderLostForLessThanAnElectionTimeoutKeepsTheMemberReady() {
        set(true, true, false, "127.0.0.1:1", 10, 10);
        readiness.sample();
        advanceMs(400);
        readiness.sample();
        set(true, true, false, null, 10, 10);
        advanceMs(300);
        readiness.sample(); // the sampler, not a probe, runs while the leader is gone
        advanceMs(700);
        assertThat(readiness.check().ready()).as("1000 ms since the leader was last seen").isTrue();
        advanceMs(1);
        assertThat(readiness.check()).isEqualTo(new Readiness.Verdict(false, "no leader for 1001 ms"));
        set(true, true, false, "127.0.0.1:2", 10, 10);
        assertThat(readiness.check().ready()).isTrue();
    }
}
