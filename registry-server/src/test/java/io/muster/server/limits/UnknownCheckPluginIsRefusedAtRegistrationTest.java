package io.muster.server.limits;

import static io.muster.server.limits.Streams.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.Status;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A registration whose custom check names a plugin type the receiving member does not have is
 * refused with the known types (it would stay PENDING for ever); a known type is accepted. The test
 * classpath has one plugin, {@code switch}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class UnknownCheckPluginIsRefusedAtRegistrationTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    private static Instance withCustomCheck(String id, String type) {
        return Api.instance("plugged", id, 8080).toBuilder()
                .addChecks(HealthCheck.newBuilder().setName("ok").setIntervalMs(1000)
                        .setTcp(io.muster.api.v1.TcpCheck.getDefaultInstance()))
                .addChecks(HealthCheck.newBuilder().setName("custom").setIntervalMs(1000)
                        .setCustom(CustomCheck.newBuilder().setType(type)))
                .build();
    }

    @Test
    void anUnknownPluginTypeIsRefusedWithTheKnownTypesOnEveryMember() {
        for (String id : cluster.ids()) {
            Channel ch = cluster.channel(id);
            assertStatus(() -> Api.register(ch, withCustomCheck("p1", "nope")), Status.Code.INVALID_ARGUMENT,
                    "instance.checks[1].custom.type: 'nope' (expected: a health check plugin type of this member: switch)");
        }
        Channel follower = cluster.channel(cluster.aFollower().id());
        Api.register(follower, withCustomCheck("p2", "switch"));
        assertThat(Api.discover(follower, "plugged", Consistency.LINEARIZABLE).getInstancesList())
                .extracting(Instance::getId).containsExactly("p2");
    }
}
