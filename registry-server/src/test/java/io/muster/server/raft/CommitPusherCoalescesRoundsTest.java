package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** At most one heartbeat round in flight; requests made meanwhile become exactly one more round. */
class CommitPusherCoalescesRoundsTest {

    private final List<Runnable> rounds = new ArrayList<>();
    private final CommitPusher pusher = new CommitPusher(rounds::add);

    @Test
    void aRequestOnAnIdlePusherStartsARoundAtOnce() {
        pusher.request();
        assertThat(rounds).hasSize(1);
        rounds.get(0).run();
        pusher.request();
        assertThat(rounds).as("idle again after the round ended").hasSize(2);
    }

    @Test
    void requestsDuringARoundAreMergedIntoOneMoreRoundAfterIt() {
        pusher.request();
        pusher.request();
        pusher.request();
        pusher.request();
        assertThat(rounds).hasSize(1);
        rounds.get(0).run();
        assertThat(rounds).as("one more round for the three requests").hasSize(2);
        rounds.get(1).run();
        assertThat(rounds).as("nothing asked since: idle").hasSize(2);
        pusher.request();
        assertThat(rounds).hasSize(3);
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
