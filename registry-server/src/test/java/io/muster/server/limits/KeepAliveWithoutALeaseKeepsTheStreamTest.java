package io.muster.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A keep-alive naming lease 0 or a negative lease is answered {@code found = false, ttl_ms = 0}
 * (no lease has that id) and the stream keeps renewing the other leases on it, on the leader and
 * on a follower that relays the stream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class KeepAliveWithoutALeaseKeepsTheStreamTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @Test
    void leaseZeroIsAnsweredNotFoundOnTheLeader() {
        renewsAroundLeasesThatCannotExist(cluster.awaitLeader(), "on-leader");
    }

    @Test
    void leaseZeroIsAnsweredNotFoundOnAFollower() {
        renewsAroundLeasesThatCannotExist(cluster.aFollower(), "on-follower");
    }

    private void renewsAroundLeasesThatCannotExist(RegistryNode node, String service) {
        Channel ch = cluster.channel(node.id());
        long a = Api.register(ch, Api.instance(service, "a", 8080)).getLeaseId();
        long b = Api.register(ch, Api.instance(service, "b", 8080)).getLeaseId();
        Streams.KeepAlive stream = new Streams.KeepAlive(ch).send(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.responses.size() == 1);
        stream.send(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.responses.size() == 2);
        stream.send(-7);
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.responses.size() == 3);
        stream.send(b).send(a);
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.responses.size() == 5);

        assertThat(stream.error.get()).isNull();
        assertThat(stream.responses.get(1)).isEqualTo(KeepAliveResponse.newBuilder().setLeaseId(0).setFound(false).setTtlMs(0).build());
        assertThat(stream.responses.get(2)).isEqualTo(KeepAliveResponse.newBuilder().setLeaseId(-7).setFound(false).setTtlMs(0).build());
        assertThat(stream.responses.subList(3, 5)).extracting(KeepAliveResponse::getLeaseId).containsExactly(b, a);
        assertThat(stream.responses.subList(3, 5)).allSatisfy(r -> {
            assertThat(r.getFound()).isTrue();
            assertThat(r.getTtlMs()).isPositive();
        });
        stream.complete();
    }
}
