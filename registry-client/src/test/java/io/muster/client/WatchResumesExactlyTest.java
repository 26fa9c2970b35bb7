package io.muster.client;

import static io.muster.client.FakeRegistry.compacted;
import static io.muster.client.FakeRegistry.events;
import static io.muster.client.FakeRegistry.instance;
import static io.muster.client.FakeRegistry.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.muster.api.v1.Event;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A watch against three fake members, with a fake clock and no jitter: exactly which revision it
 * resumes from, on which member, after which backoff, and what its listener sees.
 */
@UnitTest
class WatchResumesExactlyTest {

    FakeClock clock = new FakeClock();
    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;
    EventLog log = new EventLog();
    List<Status> errors = new CopyOnWriteArrayList<>();
    WatchListener listener = new WatchListener() {
        @Override
        public void onSnapshot(List<io.muster.api.v1.Instance> instances, long revision) {
            log.onSnapshot(instances, revision);
        }

        @Override
        public void onEvents(List<Event> events) {
            log.onEvents(events);
        }

        @Override
        public void onReconnect(Throwable cause, String nextTarget) {
            log.onReconnect(cause, nextTarget);
        }

        @Override
        public void onError(Status status) {
            errors.add(status);
        }
    };

    @BeforeEach
    void start() throws Exception {
        registry.serve("m1:1").serve("m2:1").serve("m3:1");
        client = FakeRegistryClients.exact(clock, "m1:1", "m2:1", "m3:1");
    }

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    private static List<Long> revisions(List<Event> events) {
        return events.stream().map(Event::getRevision).toList();
    }

    @Test
    void eventsDeliveredBeforeAResumeAreNotDeliveredAgain() {
        Watch w = client.watch(Set.of("orders"), 0, listener);
        FakeRegistry.WatchCall first = registry.nextWatch();
        assertThat(first.request().getStartRevision()).isZero();
        first.send(snapshot(5, instance("a")));
        first.send(events(6, 7));
        first.fail(Status.UNAVAILABLE);

        assertThat(clock.pendingDelays()).containsExactly(Duration.ofMillis(25));
        clock.forwardTime(Duration.ofMillis(25));
        FakeRegistry.WatchCall second = registry.nextWatch();
        assertThat(second.member()).isEqualTo("m2:1");
        assertThat(second.request().getStartRevision()).isEqualTo(8);
        // a member may send a batch that overlaps what the last one already delivered
        second.send(events(7, 8, 9));

        assertThat(log.snapshots()).containsExactly(5L);
        assertThat(revisions(log.events())).containsExactly(6L, 7L, 8L, 9L);
        assertThat(log.reconnects).isEqualTo(1);
        assertThat(w.lastRevision()).isEqualTo(9);
        w.close();
    }

    @Test
    void aCompactedAnswerResyncsFromASnapshotOnTheSameMemberAtOnce() {
        Watch w = client.watch(Set.of("orders"), 3, listener);
        FakeRegistry.WatchCall first = registry.nextWatch();
        assertThat(first.request().getStartRevision()).isEqualTo(3);
        first.send(compacted(40));
        first.stream().onCompleted();

        assertThat(clock.pendingDelays()).containsExactly(Duration.ZERO);
        clock.runDueTasks();
        FakeRegistry.WatchCall second = registry.nextWatch();
        assertThat(second.member()).isEqualTo("m1:1");
        assertThat(second.request().getStartRevision()).as("0: a snapshot").isZero();
        second.send(snapshot(41, instance("a"), instance("b")));
        second.send(events(41, 42));

        assertThat(log.snapshots()).containsExactly(41L);
        assertThat(log.snapshotContents.get(0)).hasSize(2);
        assertThat(revisions(log.events())).as("41 is in the snapshot").containsExactly(42L);
        assertThat(log.reconnects).as("a resync is not a failure").isZero();
        w.close();
    }

    @Test
    void failuresMoveRoundTheMembersWithGrowingBackoff() {
        Watch w = client.watch(Set.of("orders"), 0, listener);
        List<String> members = new CopyOnWriteArrayList<>();
        List<Duration> delays = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 4; i++) {
            FakeRegistry.WatchCall c = registry.nextWatch();
            members.add(c.member());
            c.fail(Status.UNAVAILABLE);
            delays.addAll(clock.pendingDelays());
            clock.forwardTime(clock.pendingDelays().get(0));
        }
        assertThat(members).containsExactly("m1:1", "m2:1", "m3:1", "m1:1");
        assertThat(delays).containsExactly(Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200));

        // the first message of a stream resets the backoff
        FakeRegistry.WatchCall ok = registry.nextWatch();
        ok.send(snapshot(1));
        ok.fail(Status.UNAVAILABLE);
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofMillis(25));
        w.close();
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"INVALID_ARGUMENT", "PERMISSION_DENIED", "UNAUTHENTICATED", "UNIMPLEMENTED"})
    void aStatusNoRetryCanFixEndsTheWatchAndReachesOnError(Status.Code code) {
        Watch w = client.watch(Set.of("Bad_Name"), 0, listener);
        registry.nextWatch().fail(Status.fromCode(code).withDescription("services[0]: 'Bad_Name'"));

        assertThat(errors).singleElement().satisfies(s -> {
            assertThat(s.getCode()).isEqualTo(code);
            assertThat(s.getDescription()).contains("Bad_Name");
        });
        assertThat(clock.pendingTasks()).as("no reconnect scheduled").isZero();
        assertThat(w.isActive()).isFalse();
        clock.forwardTime(Duration.ofMinutes(1));
        assertThat(registry.allWatches).hasSize(1);
        assertThat(log.reconnects).isZero();
    }

    @Test
    void resourceExhaustedBacksOffGrowingUpToTheCapInsteadOfLoopingHot() {
        Watch w = client.watch(Set.of("orders"), 0, listener);
        List<Duration> delays = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            registry.nextWatch().fail(Status.RESOURCE_EXHAUSTED.withDescription("too many watchers"));
            Duration d = clock.pendingDelays().get(0);
            delays.add(d);
            clock.forwardTime(d);
        }
        // default policy: 50 ms doubling, capped at 2 s; no jitter picks half of it
        assertThat(delays).extracting(Duration::toMillis).containsExactly(25L, 50L, 100L, 200L, 400L, 800L, 1000L, 1000L);
        assertThat(errors).isEmpty();
        w.close();
    }

    @Test
    void aClosedWatchStopsReconnecting() {
        Watch w = client.watch(Set.of("orders"), 0, listener);
        registry.nextWatch().fail(Status.UNAVAILABLE);
        w.close();
        clock.forwardTime(Duration.ofSeconds(10));
        assertThat(registry.allWatches).hasSize(1);
    }

    @Test
    void aStreamSilentForThreeProgressIntervalsIsAbandonedAndResumedOnTheNextMember() {
        Watch w = client.watch(Set.of("orders"), 0, listener);
        FakeRegistry.WatchCall first = registry.nextWatch();
        first.send(snapshot(5));
        clock.forwardTime(Duration.ofMillis(5_999));
        assertThat(first.stream().isCancelled()).isFalse();
        clock.forwardTime(Duration.ofMillis(1));
        assertThat(first.stream().isCancelled()).as("abandoned at 6 s of silence").isTrue();

        clock.forwardTime(Duration.ofMillis(25));
        FakeRegistry.WatchCall second = registry.nextWatch();
        assertThat(second.member()).isEqualTo("m2:1");
        assertThat(second.request().getStartRevision()).isEqualTo(6);
        // PROGRESS keeps a quiet stream alive
        for (int i = 0; i < 5; i++) {
            clock.forwardTime(Duration.ofMillis(2000));
            second.send(WatchResponseProgress.at(5));
        }
        assertThat(second.stream().isCancelled()).isFalse();
        w.close();
    }

    static final class WatchResponseProgress {
        static io.muster.api.v1.WatchResponse at(long revision) {
            return io.muster.api.v1.WatchResponse.newBuilder().setKind(io.muster.api.v1.WatchResponse.Kind.PROGRESS).setRevision(revision).build();
        }
    }
}
