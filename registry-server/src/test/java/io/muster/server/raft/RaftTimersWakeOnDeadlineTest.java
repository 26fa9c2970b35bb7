package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.alipay.sofa.jraft.JRaftUtils;
import com.alipay.sofa.jraft.util.timer.Timer;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** jraft finds our timer factory through its service loader, and its timers fire. */
@UnitTest
class RaftTimersWakeOnDeadlineTest {

    @Test
    void jraftUsesTheFactoryThatWakesOnDeadlines() {
        assertThat(JRaftUtils.raftTimerFactory()).isInstanceOf(WakeOnDeadlineTimerFactory.class);
    }

    @Test
    void aTimeoutRunsOnceWhenDueAndACancelledOneNever() {
        Timer timer = new WakeOnDeadlineTimerFactory().createTimer("test-timer");
        try {
            AtomicInteger ran = new AtomicInteger();
            AtomicInteger cancelled = new AtomicInteger();
            timer.newTimeout(t -> ran.incrementAndGet(), 10, TimeUnit.MILLISECONDS);
            timer.newTimeout(t -> cancelled.incrementAndGet(), 50, TimeUnit.MILLISECONDS).cancel();
            timer.newTimeout(t -> ran.incrementAndGet(), 100, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 2);
            assertThat(cancelled.get()).isZero();
        } finally {
            timer.stop();
        }
    }
}
