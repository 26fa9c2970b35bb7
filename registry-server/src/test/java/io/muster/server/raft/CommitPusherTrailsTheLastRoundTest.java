package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/**
 * After the two rounds of a request, one more round follows after the trail delay, for a follower
 * whose acknowledgment reached the leader only after both rounds left; a later request supersedes
 * it, and a trailing round is not trailed.
 */
class CommitPusherTrailsTheLastRoundTest {

    private static final long TRAIL = 3_000_000;

    private final List<Runnable> rounds = new ArrayList<>();
    private final List<Runnable> timers = new ArrayList<>();
    private final List<Long> delays = new ArrayList<>();
    private final CommitPusher pusher = new CommitPusher(rounds::add, (task, delay) -> {
        timers.add(task);
        delays.add(delay);
    }, TRAIL);

    @Test
    void theLastRoundOfARequestArmsOneTrailingRound() {
        pusher.request();
        rounds.get(0).run();
        assertThat(timers).as("not after the first of the two rounds").isEmpty();
        rounds.get(1).run();
        assertThat(timers).hasSize(1);
        assertThat(delays).containsExactly(TRAIL);
        assertThat(rounds).hasSize(2);

        timers.get(0).run();
        assertThat(rounds).as("the trailing round").hasSize(3);
        rounds.get(2).run();
        assertThat(timers).as("a trailing round is not trailed").hasSize(1);
        assertThat(rounds).as("idle").hasSize(3);
    }

    @Test
    void aRequestAfterArmingSupersedesTheTrailingRound() {
        pusher.request();
        rounds.get(0).run();
        rounds.get(1).run();
        pusher.request();
        assertThat(rounds).hasSize(3);

        timers.get(0).run();
        assertThat(rounds).as("the armed trailing round is skipped").hasSize(3);
        rounds.get(2).run();
        rounds.get(3).run();
        assertThat(timers).as("the new request's rounds are trailed").hasSize(2);
        timers.get(1).run();
        assertThat(rounds).hasSize(5);
    }

    @Test
    void aRequestDuringTheTrailingRoundGetsItsTwoRoundsAndItsOwnTrail() {
        pusher.request();
        rounds.get(0).run();
        rounds.get(1).run();
        timers.get(0).run();
        pusher.request();
        assertThat(rounds).as("one in flight at a time").hasSize(3);

        rounds.get(2).run();
        assertThat(rounds).hasSize(4);
        rounds.get(3).run();
        assertThat(rounds).hasSize(5);
        assertThat(timers).as("not armed yet").hasSize(1);
        rounds.get(4).run();
        assertThat(timers).hasSize(2);
    }

    @Test
    void aTimerThatRejectsLeavesThePusherIdleAndUsable() {
        List<Runnable> own = new ArrayList<>();
        CommitPusher closing = new CommitPusher(own::add, (task, delay) -> {
            throw new RejectedExecutionException("scheduler shut down");
        }, TRAIL);
        closing.request();
        own.get(0).run();
        own.get(1).run();
        closing.request();
        assertThat(own).hasSize(3);
    }
}
