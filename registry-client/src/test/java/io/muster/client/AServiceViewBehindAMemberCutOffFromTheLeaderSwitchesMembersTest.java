package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: a member cut off from the leader kept serving watches from a state that had stopped
 * moving, with PROGRESS messages that looked healthy, so a view behind it never learned of later
 * changes. Here the member a {@link Watch} and a {@link ServiceView} (what the gateway routes with)
 * are connected to is removed from the cluster while a writer keeps writing through the others: it
 * no longer hears from the leader, ends their streams with UNAVAILABLE after an election timeout
 * without one, and both resume on another member from their last revision: every change exactly
 * once, in revision order, and the view ends equal to the cluster.
 *
 * <p>Removal stands in for a partition: both leave the member running with no leader while the
 * others go on. (A partition proper needs a proxy in front of the member's Raft port.)
 */
@ClusterTest
class AServiceViewBehindAMemberCutOffFromTheLeaderSwitchesMembersTest {

    @TempDir
    Path dir;

    record Write(EventType type, String id, long revision) {
    }

    @Test
    void theWatchAndTheViewResumeOnAnotherMemberWithNoGapAndNoDuplicate() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader().id();
            String cutOff = cluster.peers().stream().map(PeerSpec::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            List<String> others = cluster.peers().stream().filter(p -> !p.id().equals(cutOff)).map(PeerSpec::grpcAddress).toList();
            List<String> cutOffFirst = new ArrayList<>();
            cutOffFirst.add(cluster.spec(cutOff).grpcAddress());
            cutOffFirst.addAll(others);

            try (RegistryClient viewing = RegistryClient.builder(cutOffFirst).build();
                 RegistryClient writing = RegistryClient.builder(others).build()) {
                EventLog log = new EventLog();
                Watch watch = viewing.watch(Set.of("orders"), 0, log);
                ServiceView view = viewing.serviceView("orders");
                view.whenReady().get(10, TimeUnit.SECONDS);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !log.snapshots().isEmpty());

                List<Write> acked = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean stop = new AtomicBoolean();
                Thread writer = new Thread(() -> {
                    for (int n = 0; !stop.get(); n++) {
                        String id = "o" + (n % 20);
                        try {
                            if ((n / 20) % 2 == 0) {
                                RegisterResponse r = writing.registerOnce(Instance.newBuilder().setService("orders").setId(id)
                                        .setHost("127.0.0.1").setPort(20_000 + n % 20).setLeaseTtlMs(600_000).build());
                                acked.add(new Write(r.getUpdated() ? EventType.UPDATED : EventType.REGISTERED, id, r.getRevision()));
                            } else {
                                var r = writing.deregister("orders", id);
                                if (r.getFound()) {
                                    acked.add(new Write(EventType.DEREGISTERED, id, r.getRevision()));
                                }
                            }
                        } catch (StatusRuntimeException e) {
                            // outcome unknown: not in the acknowledged set
                        }
                    }
                }, "writer");
                writer.start();
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> acked.size() >= 50);

                writing.removeMember(cutOff);
                long removedAt = System.nanoTime();
                Awaitility.await().atMost(Duration.ofSeconds(8)).until(() -> log.reconnects > 0);
                long switchedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removedAt);
                System.out.printf("the watch left the cut-off member %d ms after its removal%n", switchedMs);
                // it hears nothing for one to two election timeouts (1 s here), then allows one more
                assertThat(switchedMs).isLessThan(4_500);

                int atSwitch = acked.size();
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> acked.size() >= atSwitch + 50);
                stop.set(true);
                writer.join(20_000);

                long lastAcked = acked.stream().mapToLong(Write::revision).max().orElseThrow();
                assertThat(Gauges.revision(cluster.node(cutOff))).as("the cut-off member's state stopped moving").isLessThan(lastAcked);
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> log.lastEventRevision() >= lastAcked);
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> view.snapshot().revision() >= lastAcked);

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
                Set<String> live = writing.discover("orders", DiscoverFilter.all()).stream().map(Instance::getId).collect(Collectors.toSet());
                assertThat(view.instances().stream().map(Instance::getId).collect(Collectors.toSet())).isEqualTo(live);
                assertThat(view.snapshot().stale()).isFalse();
                view.close();
                watch.close();
            }
        }
    }
}
