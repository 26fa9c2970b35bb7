package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TransferLeadershipRequest;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client whose first member is a follower learns the leader from the {@code muster-leader} header
 * of its first write and sends the following writes there directly (no forwarding hop); after the
 * leader changes, writes still succeed and follow the new leader.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class WritesGoStraightToTheLeaderTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    /** Register calls served by {@code node} (whoever sent them: clients or forwarding members). */
    private static long registerCalls(RegistryNode node) {
        return (long) node.meters().find("muster.grpc.server.calls").tag("method", "muster.v1.Registry/Register")
                .timers().stream().mapToLong(Timer::count).sum();
    }

    private static Instance instance(int i) {
        return Instance.newBuilder().setService("direct").setId("d" + i).setHost("127.0.0.1").setPort(9000 + i)
                .setLeaseTtlMs(60_000).build();
    }

    @Test
    void afterTheFirstWriteAFollowerFirstClientWritesToTheLeaderOnly() {
        RegistryNode leader = cluster.awaitLeader();
        RegistryNode follower = cluster.aFollower();
        List<String> targets = new ArrayList<>();
        targets.add(cluster.spec(follower.id()).grpcAddress());
        for (String id : cluster.ids()) {
            if (!id.equals(follower.id())) {
                targets.add(cluster.spec(id).grpcAddress());
            }
        }
        try (RegistryClient client = RegistryClient.builder(String.join(",", targets)).build()) {
            client.registerOnce(instance(0)); // through the follower, which forwards and names the leader
            long followerBefore = registerCalls(follower);
            long leaderBefore = registerCalls(leader);
            for (int i = 1; i <= 20; i++) {
                client.registerOnce(instance(i));
            }
            assertThat(registerCalls(follower) - followerBefore).as("writes through the follower").isZero();
            assertThat(registerCalls(leader) - leaderBefore).as("writes at the leader").isEqualTo(20);
            // reads still use the first member
            assertThat(client.discover("direct", DiscoverFilter.all())).hasSize(21);

            // a new leader: the next write fails over or is forwarded, and the one after goes to the new leader
            String oldLeader = leader.id();
            String next = cluster.ids().stream().filter(id -> !id.equals(oldLeader)).findFirst().orElseThrow();
            Api.cluster(cluster.channel(oldLeader)).transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(next).build());
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> cluster.leaderIfAny().map(n -> !n.id().equals(oldLeader)).orElse(false));
            RegistryNode newLeader = cluster.awaitLeader();
            client.registerOnce(instance(100));
            long newBefore = registerCalls(newLeader);
            client.registerOnce(instance(101));
            assertThat(registerCalls(newLeader) - newBefore).as("the write after a leader change goes to the new leader").isEqualTo(1);
            assertThat(client.discover("direct", DiscoverFilter.all())).hasSize(23);
        }
    }
}
