package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** At most one heartbeat round in flight; every request is followed by two rounds that start after it, no more. */
@UnitTest
class CommitPusherCoalescesRoundsTest {

    private final List<Runnable> rounds = new ArrayList<>();
    private final CommitPusher pusher = new CommitPusher(rounds::add);

    @Test
    void aRequestOnAnIdlePusherStartsARoundAtOnceAndOneMoreAfterIt() {
        pusher.request();
        assertThat(rounds).hasSize(1);
        rounds.get(0).run();
        assertThat(rounds).as("the follow-up round").hasSize(2);
        rounds.get(1).run();
        assertThat(rounds).as("idle").hasSize(2);
        pusher.request();
        assertThat(rounds).hasSize(3);
    }

    @Test
    void requestsDuringARoundAreMergedIntoTwoMoreRoundsAfterIt() {
        pusher.request();
        rounds.get(0).run();
        pusher.request();
        pusher.request();
        pusher.request();
        assertThat(rounds).as("one in flight at a time").hasSize(2);
        rounds.get(1).run();
        assertThat(rounds).hasSize(3);
        rounds.get(2).run();
        assertThat(rounds).as("two rounds started after the requests").hasSize(4);
        rounds.get(3).run();
        assertThat(rounds).as("nothing asked since: idle").hasSize(4);
    }

    @Test
    void aRoundThatCannotStartLeavesThePusherIdle() {
        int[] attempts = {0};
        CommitPusher failing = new CommitPusher(ended -> {
            attempts[0]++;
            throw new IllegalStateException("node shutting down");
        });
        failing.request();
        failing.request();
        assertThat(attempts[0]).as("not stuck in flight").isEqualTo(2);
    }
}
