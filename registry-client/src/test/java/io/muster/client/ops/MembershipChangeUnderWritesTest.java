package io.muster.client.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 3 -> 4 -> 3 members at runtime while a client keeps writing: no failed write, nothing lost. */
@ClusterTest
class MembershipChangeUnderWritesTest {

    @TempDir
    Path dir;

    @Test
    void addAFourthMemberThenRemoveTheLeaderWithoutLosingAvailability() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3);
             RegistryClient admin = RegistryClient.builder(cluster.targets()).build()) {
            PeerSpec n4 = cluster.startJoiningNode("n4");
            Set<String> acked = ConcurrentHashMap.newKeySet();
            List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                // all four addresses: the client fails over as members come and go
                try (RegistryClient c = RegistryClient.builder(cluster.targets() + "," + n4.grpcAddress()).build()) {
                    for (int i = 0; !stop.get(); i++) {
                        String id = "m" + i;
                        try {
                            c.registerOnce(Instance.newBuilder().setService("members").setId(id).setHost("127.0.0.1")
                                    .setPort(1 + i % 60000).setLeaseTtlMs(600_000).build());
                            acked.add(id);
                        } catch (StatusRuntimeException e) {
                            failed.add(id + ": " + e.getStatus());
                        }
                    }
                }
            }, "writer");
            writer.start();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> acked.size() >= 50);

            List<Member> four = admin.addMember(Member.newBuilder().setId("n4").setRaftAddress(n4.raftAddress())
                    .setGrpcAddress(n4.grpcAddress()).setPeerAddress(n4.peerAddress()).build()).getMembersList();
            assertThat(four).extracting(Member::getId).containsExactlyInAnyOrder("n1", "n2", "n3", "n4");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= 150);
            // n4 catches up with what the leader had applied by then (writes go on meanwhile: a
            // fixed point, not "within a few revisions of a moving one")
            long caughtUpTo = Gauges.revision(cluster.awaitLeader());
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Gauges.revision(cluster.node("n4")) >= caughtUpTo);

            String leader = cluster.awaitLeader().id();
            List<Member> three = admin.removeMember(leader).getMembersList();
            assertThat(three).extracting(Member::getId).hasSize(3).doesNotContain(leader);
            cluster.forget(leader);
            int afterRemove = acked.size();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= afterRemove + 100);
            stop.set(true);
            writer.join(20_000);

            assertThat(failed).as("writes that failed after the client's retries").isEmpty();
            Set<String> present = admin.discover("members", DiscoverFilter.all()).stream().map(Instance::getId).collect(Collectors.toSet());
            assertThat(present).containsAll(acked);
            assertThat(admin.members().getMembersList()).extracting(Member::getId).hasSize(3).contains("n4");
        }
    }
}
