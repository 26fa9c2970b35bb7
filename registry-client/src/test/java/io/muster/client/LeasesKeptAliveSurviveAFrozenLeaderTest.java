package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: with a 3 s lease TTL, leases kept alive by a registration handle expired while the leader
 * was frozen (SIGSTOP), because the keep-alive stream stayed on the frozen member. Members are
 * separate JVMs; the leader is frozen for 5 s (five election timeouts), five times over. A 3 s TTL
 * exceeds two election timeouts plus the client's detection time (docs/client.md), so no handle may
 * lose its lease: no EXPIRED event, no forced re-registration.
 */
@ProcessTest
class LeasesKeptAliveSurviveAFrozenLeaderTest {

    private static final Duration FREEZE = Duration.ofSeconds(5);
    private static final int ROUNDS = 5;

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    /** Counts what a handle's listener hears. */
    static final class Counting implements Registration.Listener {
        final AtomicInteger registered = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();

        @Override
        public void onRegistered(RegisterResponse response) {
            registered.incrementAndGet();
        }

        @Override
        public void onLeaseLost(long leaseId) {
            lost.incrementAndGet();
        }
    }

    @Test
    void freezingTheLeaderLongerThanTheElectionTimeoutExpiresNoKeptAliveLease() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader(Duration.ofSeconds(60)).id();
            List<String> leaderFirst = new ArrayList<>();
            leaderFirst.add(cluster.member(leader).grpcAddress());
            cluster.members().stream().map(ProcessCluster.Member::grpcAddress).filter(a -> !leaderFirst.contains(a)).forEach(leaderFirst::add);
            // the same members, a follower first: its keep-alives are relayed to the leader
            List<String> followerFirst = new ArrayList<>(leaderFirst.subList(1, 3));
            followerFirst.add(leaderFirst.get(0));

            try (RegistryClient direct = RegistryClient.builder(leaderFirst).build();
                 RegistryClient relayed = RegistryClient.builder(followerFirst).build();
                 RegistryClient watching = RegistryClient.builder(followerFirst).build()) {
                EventLog log = new EventLog();
                Watch watch = watching.watch(Set.of("frozen"), 0, log);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !log.snapshots().isEmpty());

                List<Registration> handles = new ArrayList<>();
                List<Counting> listeners = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Counting l = new Counting();
                    RegistryClient owner = i % 2 == 0 ? direct : relayed;
                    handles.add(owner.register(Instance.newBuilder().setService("frozen").setId("h" + i).setHost("127.0.0.1")
                            .setPort(7000 + i).setLeaseTtlMs(3000).build(), l));
                    listeners.add(l);
                }

                for (int round = 1; round <= ROUNDS; round++) {
                    String frozen = cluster.awaitLeader(Duration.ofSeconds(30)).id();
                    cluster.freeze(frozen);
                    int r = round;
                    // the freeze lasts FREEZE; the leases must hold throughout (a new leader is elected meanwhile)
                    Awaitility.await("round " + r + ": " + frozen + " frozen").during(FREEZE).atMost(FREEZE.plusSeconds(2))
                            .untilAsserted(() -> assertThat(expired(log)).as("EXPIRED events by round %d", r).isEmpty());
                    cluster.thaw(frozen);
                }

                // everything the rounds caused has reached the watcher (a marker written after them has),
                // and two more TTLs pass without a loss
                long marker = watching.registerOnce(Instance.newBuilder().setService("frozen").setId("marker").setHost("127.0.0.1")
                        .setPort(7999).setLeaseTtlMs(60_000).build()).getRevision();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> log.lastEventRevision() >= marker);
                Awaitility.await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                        .untilAsserted(() -> assertThat(expired(log)).isEmpty());
                for (int i = 0; i < handles.size(); i++) {
                    assertThat(listeners.get(i).lost).as("leases lost by h%d", i).hasValue(0);
                    assertThat(listeners.get(i).registered).as("registrations of h%d (the first only)", i).hasValue(1);
                    assertThat(handles.get(i).state()).isEqualTo(Registration.State.ACTIVE);
                }
                watch.close();
                handles.forEach(Registration::close);
            }
        }
    }

    private static List<Event> expired(EventLog log) {
        return log.events().stream().filter(e -> e.getType() == EventType.EXPIRED).toList();
    }
}
