package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link StalePeerConnections} with a fake clock: when the leader closes its connections to a peer, and when not. */
@UnitTest
class AStalePeerConnectionIsResetOnlyWhenReplicationCannotUseItTest {

    private static final String SELF = "a:1";
    private static final String B = "b:1";
    private static final String C = "c:1";
    private static final List<String> PEERS = List.of(SELF, B, C);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Set<String> usable = new HashSet<>();
    private final List<String> resets = new ArrayList<>();
    private final StalePeerConnections stale = new StalePeerConnections(SELF, new StalePeerConnections.Transport() {
        @Override
        public boolean usable(String peer) {
            return usable.contains(peer);
        }

        @Override
        public void reset(String peer) {
            resets.add(peer);
        }
    }, now::get, Duration.ofSeconds(3));

    private void at(long millis, boolean leader, List<String> alive) {
        now.set(1_000_000_000L + Duration.ofMillis(millis).toNanos());
        stale.sample(leader, PEERS, alive);
    }

    @Test
    void anUnreachedPeerWithoutAUsableConnectionIsResetAfterTheGraceThenOncePerGrace() {
        at(0, true, List.of(SELF, C));
        at(2_999, true, List.of(SELF, C));
        assertThat(resets).isEmpty();
        at(3_000, true, List.of(SELF, C));
        assertThat(resets).containsExactly(B);
        at(5_999, true, List.of(SELF, C));
        assertThat(resets).containsExactly(B);
        at(6_000, true, List.of(SELF, C));
        assertThat(resets).containsExactly(B, B);
        assertThat(stale.resets()).isEqualTo(2);
    }

    @Test
    void aPeerBehindALiveConnectionIsLeftToTheTransport() {
        usable.add(B); // partitioned behind a connection bolt still holds: its heartbeats time it out
        at(0, true, List.of(SELF, C));
        at(10_000, true, List.of(SELF, C));
        assertThat(resets).isEmpty();
    }

    @Test
    void aPeerHeardFromAgainStartsAFreshOutage() {
        at(0, true, List.of(SELF, C));
        at(2_000, true, List.of(SELF, B, C));
        at(3_000, true, List.of(SELF, C));
        at(5_999, true, List.of(SELF, C));
        assertThat(resets).isEmpty();
        at(6_000, true, List.of(SELF, C));
        assertThat(resets).containsExactly(B);
    }

    @Test
    void aFollowerResetsNothingAndALaterTermCountsAfresh() {
        at(0, false, List.of());
        at(10_000, false, List.of());
        assertThat(resets).isEmpty();
        at(10_000, true, List.of(SELF, C));
        at(12_000, false, List.of());
        at(13_000, true, List.of(SELF, C));
        at(15_999, true, List.of(SELF, C));
        assertThat(resets).isEmpty();
        at(16_000, true, List.of(SELF, C));
        assertThat(resets).containsExactly(B);
    }
}
