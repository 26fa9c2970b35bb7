package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registry members are separate JVMs. While a writer registers and deregisters, the leader is
 * SIGKILLed. The watcher (connected to the leader) must see every change exactly once, in revision
 * order; a registration handle must keep its instance alive through the failover.
 */
@ProcessTest
class ClientSurvivesLeaderKillTest {

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    record Write(EventType type, String id, long revision) {
    }

    @Test
    void watcherSeesEveryEventOnceInOrderAndHandleNeverExpires() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader(Duration.ofSeconds(60)).id();
            List<String> leaderFirst = new ArrayList<>();
            leaderFirst.add(cluster.member(leader).grpcAddress());
            cluster.members().stream().map(ProcessCluster.Member::grpcAddress).filter(a -> !leaderFirst.contains(a)).forEach(leaderFirst::add);

            try (RegistryClient watching = RegistryClient.builder(leaderFirst).build();
                 RegistryClient writing = RegistryClient.builder(leaderFirst).build();
                 RegistryClient owning = RegistryClient.builder(leaderFirst).build()) {
                EventLog log = new EventLog();
                Watch watch = watching.watch(Set.of("ledger"), 0, log);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !log.snapshots().isEmpty());

                Registration handle = owning.register(Instance.newBuilder().setService("ledger").setId("keeper")
                        .setHost("127.0.0.1").setPort(9999).setLeaseTtlMs(3000).build());

                List<Write> acked = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean stop = new AtomicBoolean();
                Thread writer = new Thread(() -> {
                    int n = 0;
                    while (!stop.get()) {
                        String id = "w" + (n % 20);
                        try {
                            if ((n / 20) % 2 == 0) {
                                RegisterResponse r = writing.registerOnce(Instance.newBuilder().setService("ledger").setId(id)
                                        .setHost("127.0.0.1").setPort(20_000 + n % 20).setLeaseTtlMs(600_000).build());
                                acked.add(new Write(r.getUpdated() ? EventType.UPDATED : EventType.REGISTERED, id, r.getRevision()));
                            } else {
                                var r = writing.deregister("ledger", id);
                                if (r.getFound()) {
                                    acked.add(new Write(EventType.DEREGISTERED, id, r.getRevision()));
                                }
                            }
                        } catch (StatusRuntimeException e) {
                            // outcome unknown: the watcher may or may not see it; not in the acknowledged set
                        }
                        n++;
                    }
                }, "writer");
                writer.start();

                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= 100);
                cluster.kill(leader);
                String newLeader = cluster.awaitLeader(Duration.ofSeconds(30)).id();
                assertThat(newLeader).isNotEqualTo(leader);
                int afterKill = acked.size();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= afterKill + 100);
                stop.set(true);
                writer.join(20_000);

                long lastAcked = acked.stream().mapToLong(Write::revision).max().orElseThrow();
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> log.lastEventRevision() >= lastAcked);

                List<Event> events = log.events();
                long start = log.snapshots().get(0);
                // exactly once, in order, no gap: revisions are dense and only this service is written
                for (int i = 0; i < events.size(); i++) {
                    assertThat(events.get(i).getRevision()).as("event #%d", i).isEqualTo(start + 1 + i);
                }
                Map<Long, Event> byRevision = events.stream().collect(Collectors.toMap(Event::getRevision, e -> e));
                for (Write w : List.copyOf(acked)) {
                    Event e = byRevision.get(w.revision());
                    assertThat(e).as("acknowledged write %s", w).isNotNull();
                    assertThat(e.getType()).isEqualTo(w.type());
                    assertThat(e.getInstance().getId()).isEqualTo(w.id());
                }
                assertThat(log.reconnects).as("the watcher lost its member and resumed elsewhere").isGreaterThan(0);

                // the kept-alive instance never expired, and is still there well after 3 x TTL
                Awaitility.await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() ->
                        owning.discover("ledger", DiscoverFilter.all().localRead()).stream().anyMatch(i -> i.getId().equals("keeper")));
                assertThat(log.events()).noneMatch(e -> e.getInstance().getId().equals("keeper")
                        && (e.getType() == EventType.EXPIRED || e.getType() == EventType.DEREGISTERED));
                long leaseBefore = handle.leaseId();
                handle.close();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> log.events().stream().anyMatch(e ->
                        e.getInstance().getId().equals("keeper") && e.getType() == EventType.DEREGISTERED));
                assertThat(handle.leaseId()).isEqualTo(leaseBefore);
                Set<Long> seen = new HashSet<>();
                assertThat(log.events()).allMatch(e -> seen.add(e.getRevision()));
                watch.close();
            }
        }
    }
}
