package io.muster.server.limits;

import static io.muster.server.limits.Streams.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.Status;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Instance;
import io.muster.server.config.Limits;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leader refuses a registration of a new instance over {@code max-instances-per-service} or
 * {@code max-instances}, wherever the client sent it; updates of existing instances pass, and a
 * deregistration makes room again. An instance larger than {@code max-instance-bytes} is refused
 * by the member that receives it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class CatalogLimitsRefuseNewInstancesButNotUpdatesTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withLimits(Limits.builder()
                .maxInstancesPerService(3).maxInstances(5).maxInstanceBytes(2048).build()));

    @Test
    void newInstancesOverALimitAreRefusedUpdatesPassAndDeregistrationMakesRoom() {
        Channel follower = cluster.channel(cluster.aFollower().id());
        Channel leader = cluster.channel(cluster.awaitLeader().id());
        for (int i = 1; i <= 3; i++) {
            Api.register(follower, Api.instance("orders", "o" + i, 8080));
        }
        assertStatus(() -> Api.register(follower, Api.instance("orders", "o4", 8080)),
                Status.Code.RESOURCE_EXHAUSTED, "max-instances-per-service: 4 (limit 3)");
        assertStatus(() -> Api.register(leader, Api.instance("orders", "o4", 8080)),
                Status.Code.RESOURCE_EXHAUSTED, "max-instances-per-service: 4 (limit 3)");

        // an update of an instance that exists passes at the limit
        assertThat(Api.register(follower, Api.instance("orders", "o2", 9090)).getUpdated()).isTrue();

        Api.register(leader, Api.instance("payments", "p1", 8080));
        Api.register(follower, Api.instance("payments", "p2", 8080));
        assertStatus(() -> Api.register(follower, Api.instance("users", "u1", 8080)),
                Status.Code.RESOURCE_EXHAUSTED, "max-instances: 6 (limit 5)");
        assertThat(Api.register(follower, Api.instance("payments", "p1", 8081)).getUpdated()).isTrue();

        // reads and other writes are served meanwhile
        assertThat(Api.discover(follower, "orders", Consistency.LINEARIZABLE).getInstancesCount()).isEqualTo(3);

        Api.deregister(follower, "orders", "o1");
        Api.register(follower, Api.instance("users", "u1", 8080));
        assertStatus(() -> Api.register(follower, Api.instance("orders", "o5", 8080)),
                Status.Code.RESOURCE_EXHAUSTED, "max-instances: 6 (limit 5)");
        Api.deregister(leader, "payments", "p2");
        Api.register(follower, Api.instance("orders", "o5", 8080));
        assertThat(Api.discover(leader, "orders", Consistency.LINEARIZABLE).getInstancesList())
                .extracting(Instance::getId).containsExactlyInAnyOrder("o2", "o3", "o5");
        // leave room for the other scenario
        for (String id : new String[] {"o2", "o3", "o5"}) {
            Api.deregister(follower, "orders", id);
        }
        Api.deregister(follower, "payments", "p1");
        Api.deregister(follower, "users", "u1");
    }

    @Test
    void anInstanceOverMaxInstanceBytesIsRefusedWithItsSize() {
        Channel follower = cluster.channel(cluster.aFollower().id());
        Instance big = Api.instance("big", "b1", 8080).toBuilder().putMetadata("blob", "x".repeat(1000))
                .putMetadata("blob2", "y".repeat(1000)).putMetadata("blob3", "z".repeat(1000)).build();
        int size = big.getSerializedSize();
        assertThat(size).isGreaterThan(2048);
        assertStatus(() -> Api.register(follower, big), Status.Code.RESOURCE_EXHAUSTED,
                "max-instance-bytes: " + size + " (limit 2048)");
        Instance fits = big.toBuilder().removeMetadata("blob2").removeMetadata("blob3").build();
        Api.register(follower, fits);
    }
}
