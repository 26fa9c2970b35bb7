package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link LeadershipGate}: jraft may announce a leadership before the Raft node is published (a
 * one-member cluster elects itself inside its start). Listeners hear of it only once the node is
 * published, in the order the events came, and never a later event before an earlier one.
 */
@UnitTest
class LeadershipCallbacksWaitForTheRaftNodeTest {

    private final List<String> heard = new ArrayList<>();
    private final LeadershipGate gate = new LeadershipGate();

    {
        gate.add(new LeadershipListener() {
            @Override
            public synchronized void onLeaderStart(long term) {
                heard.add("leader " + term);
            }

            @Override
            public synchronized void onLeaderStop() {
                heard.add("stop");
            }

            @Override
            public synchronized void onStartFollowing(long term) {
                heard.add("follow " + term);
            }

            @Override
            public synchronized void onStopFollowing() {
                heard.add("lost");
            }
        });
    }

    @Test
    void aLeaderStartBeforeTheNodeIsPublishedIsHeardWhenItIs() {
        gate.onLeaderStart(1);
        assertThat(heard).isEmpty();

        gate.open();
        assertThat(heard).containsExactly("leader 1");
    }

    @Test
    void eventsHeldBeforeTheNodeIsPublishedComeFirstAndInOrder() {
        gate.onStartFollowing(1);
        gate.onStopFollowing();
        gate.onLeaderStart(2);
        gate.open();
        gate.onLeaderStop();
        gate.onStartFollowing(3);

        assertThat(heard).containsExactly("follow 1", "lost", "leader 2", "stop", "follow 3");
    }

    @Test
    void openingTwiceRepeatsNothing() {
        gate.onLeaderStart(1);
        gate.open();
        gate.open();

        assertThat(heard).containsExactly("leader 1");
    }

    @Test
    void anEventThatComesWhileTheHeldOnesArePassedOnWaitsForThem() throws Exception {
        CountDownLatch passing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = new ArrayList<>();
        LeadershipGate blocking = new LeadershipGate();
        blocking.add(new LeadershipListener() {
            @Override
            public void onLeaderStart(long term) {
                synchronized (order) {
                    order.add("leader " + term);
                }
                passing.countDown();
                try {
                    // the first (held) event is being passed on when the state machine thread brings the next
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onLeaderStop() {
                synchronized (order) {
                    order.add("stop");
                }
            }
        });
        blocking.onLeaderStart(1);
        Thread starter = new Thread(blocking::open, "starter");
        starter.start();
        assertThat(passing.await(10, TimeUnit.SECONDS)).isTrue();

        Thread stateMachine = new Thread(blocking::onLeaderStop, "state-machine");
        stateMachine.start();
        // the state machine thread's event waits for the held one still being passed on
        await().atMost(Duration.ofSeconds(10)).until(() -> stateMachine.getState() == Thread.State.BLOCKED);
        synchronized (order) {
            assertThat(order).containsExactly("leader 1");
        }
        release.countDown();
        starter.join(10_000);
        stateMachine.join(10_000);
        assertThat(order).containsExactly("leader 1", "stop");
    }
}
