package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@link PeerReachability} on a fake ticker: what the leader logs and exports about a peer that goes and comes back. */
@UnitTest
class APeerOutageIsLoggedAsTwoTransitionsAndRemindersTest {

    private static final String A = "127.0.0.1:1", B = "127.0.0.1:2", C = "127.0.0.1:3";
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final PeerReachability reach = new PeerReachability(A, Map.of(A, "n1", B, "n2", C, "n3")::get, now::get,
            Duration.ofSeconds(60), 2);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(PeerReachability.class);

    @BeforeEach
    void capture() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
    }

    private void leaderSees(Set<String> alive) {
        reach.observe(new PeerReachability.Sample(true, Set.of(A, B, C), alive));
        now.addAndGet(Duration.ofMillis(500).toNanos());
    }

    @Test
    void oneWarningOneReminderAMinuteAndOneReturnLine() {
        leaderSees(Set.of(A, B, C));
        assertThat(reach.reachable(B)).isEqualTo(1.0);
        leaderSees(Set.of(A, C)); // one late heartbeat is not an outage
        assertThat(reach.reachable(B)).isEqualTo(1.0);
        assertThat(logged.list).isEmpty();
        leaderSees(Set.of(A, C));
        assertThat(reach.reachable(B)).isEqualTo(0.0);
        assertThat(reach.reachable(C)).isEqualTo(1.0);
        assertThat(reach.unreachableEpisodes(B)).isEqualTo(1);
        assertThat(lines()).containsExactly("WARN peer n2 (127.0.0.1:2) is unreachable");

        for (int i = 0; i < 119; i++) { // 59.5 s more: no reminder yet
            leaderSees(Set.of(A, C));
        }
        assertThat(lines()).hasSize(1);
        leaderSees(Set.of(A, C));
        assertThat(lines()).last().isEqualTo("WARN peer n2 (127.0.0.1:2) still unreachable, for 60 s");

        leaderSees(Set.of(A, B, C));
        assertThat(reach.reachable(B)).isEqualTo(1.0);
        assertThat(lines()).hasSize(3).last().isEqualTo("INFO peer n2 (127.0.0.1:2) is reachable again after 60 s");
        leaderSees(Set.of(A, B, C));
        assertThat(lines()).hasSize(3);
    }

    @Test
    void aFollowerHasNoOpinionAndKeepsWhatItKnewAsLeader() {
        leaderSees(Set.of(A, C));
        leaderSees(Set.of(A, C));
        assertThat(reach.reachable(B)).isEqualTo(0.0);
        reach.observe(new PeerReachability.Sample(false, Set.of(), Set.of()));
        assertThat(reach.reachable(B)).isNaN();
        // leading again with the peer still down: no second warning for the same outage
        leaderSees(Set.of(A, C));
        assertThat(reach.reachable(B)).isEqualTo(0.0);
        assertThat(lines()).containsExactly("WARN peer n2 (127.0.0.1:2) is unreachable");
    }

    private List<String> lines() {
        // the first line's explanation after the colon is for people, not for this test
        return logged.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage().replaceFirst(": no Raft heartbeat.*", "")).toList();
    }
}
