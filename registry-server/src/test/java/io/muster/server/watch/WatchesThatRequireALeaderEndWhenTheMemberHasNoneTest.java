package io.muster.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.Instance;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.UnitTest;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exact, with the time without a leader set by hand and the hub's check called directly: up to the
 * limit everything is served; past it the watches that require a leader end with UNAVAILABLE (after
 * what was already sent, never in the middle of it) and new ones are refused, while
 * {@code allow_leaderless} ones go on; once the member has a leader again, new watches are served.
 */
@UnitTest
class WatchesThatRequireALeaderEndWhenTheMemberHasNoneTest {

    static final long LIMIT = TimeUnit.MILLISECONDS.toNanos(1000);

    final Catalog catalog = new Catalog();
    final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    // drains run on the caller, so every assertion sees a settled state
    final WatchHub hub = new WatchHub(catalog, 1024, Runnable::run, 2, scheduler, System::nanoTime, "n1", 100);
    final AtomicLong leaderless = new AtomicLong();

    WatchesThatRequireALeaderEndWhenTheMemberHasNoneTest() {
        catalog.addListener(hub);
        hub.requireLeader(leaderless::get, LIMIT);
    }

    @AfterEach
    void stop() {
        hub.close();
        scheduler.shutdownNow();
    }

    static final class Recorder implements WatchSink {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void send(WatchResponse response) {
            seen.add(response.getKind() + "@" + response.getRevision());
        }

        @Override
        public void complete() {
            seen.add("completed");
        }

        @Override
        public void unavailable(String description) {
            seen.add("UNAVAILABLE: " + description);
        }
    }

    void register(String id) {
        catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("svc").setId(id).setHost("h").setPort(1).setLeaseTtlMs(5000))).build());
    }

    Recorder watch(boolean requiresLeader) {
        Recorder r = new Recorder();
        hub.open("default", Set.of("svc"), 1, 60_000, requiresLeader, r);
        return r;
    }

    @Test
    void pastTheLimitOnlyWatchesThatAllowNoLeaderAreServed() {
        Recorder required = watch(true);
        Recorder allowed = watch(false);
        register("i1");

        leaderless.set(LIMIT);
        hub.checkLeader();
        register("i2");
        assertThat(required.seen).containsExactly("EVENTS@1", "EVENTS@2");

        leaderless.set(LIMIT + 1);
        hub.checkLeader();
        assertThat(required.seen).containsExactly("EVENTS@1", "EVENTS@2",
                "UNAVAILABLE: member n1 has had no leader for 1000 ms (more than its election timeout, 1000 ms): its state may be stale;"
                        + " resume on another member (or set allow_leaderless)");
        assertThatThrownBy(() -> watch(true)).isInstanceOf(LeaderlessException.class).hasMessageContaining("has had no leader");
        Recorder lateAllowed = watch(false);
        register("i3");
        assertThat(allowed.seen).containsExactly("EVENTS@1", "EVENTS@2", "EVENTS@3");
        // from revision 1 after two events: one message with both, then the third
        assertThat(lateAllowed.seen).containsExactly("EVENTS@2", "EVENTS@3");
        assertThat(hub.leaderlessEndedCount()).isEqualTo(1);
        assertThat(hub.watcherCount()).isEqualTo(2);

        // a leader again: served at once, before the next check
        leaderless.set(0);
        Recorder again = watch(true);
        register("i4");
        assertThat(again.seen).containsExactly("EVENTS@3", "EVENTS@4");
        assertThat(required.seen).hasSize(3);
    }
}
