package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.api.v1.SetMaintenanceResponse;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.LinkProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ARetriedDeregisterNeverRemovesALaterRegistrationTest} for SetMaintenance: a client turns
 * maintenance on, the leader applies it but the answer is lost (the bytes back to the client are
 * dropped). While the client waits out its attempt, another client puts the instance back in
 * service and is acknowledged. The first client then retries on another member. Applied a second
 * time, the retry took the instance out of service again, after a read had seen it back: the
 * instance stayed out of traffic with no call left to explain it. With the request id the client
 * keeps across retries, the cluster answers the retry as its first attempt.
 */
@ClusterTest
class ARetriedMaintenanceChangeNeverUndoesALaterOneTest {

    @TempDir
    Path dir;

    static Instance instance() {
        return Instance.newBuilder().setService("orders").setId("i1").setHost("127.0.0.1").setPort(11934).setLeaseTtlMs(600_000).build();
    }

    static boolean inMaintenance(RegistryClient client) {
        return client.discover("orders", DiscoverFilter.all()).stream().filter(i -> i.getId().equals("i1"))
                .findFirst().orElseThrow().getMaintenance();
    }

    @Test
    void theRetryIsAnsweredAndTheInstanceStaysInService() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader().id();
            String follower = cluster.peers().stream().map(PeerSpec::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            String[] leaderAddress = cluster.spec(leader).grpcAddress().split(":");
            try (LinkProxy toLeader = LinkProxy.start("client-to-leader",
                    new InetSocketAddress(leaderAddress[0], Integer.parseInt(leaderAddress[1])));
                 RegistryClient retrying = RegistryClient.builder(List.of(toLeader.address(), cluster.spec(follower).grpcAddress()))
                         .retryPolicy(new RetryPolicy(Duration.ofSeconds(4), Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofMillis(200)))
                         .build();
                 RegistryClient other = RegistryClient.builder(List.of(cluster.spec(leader).grpcAddress())).build()) {
                other.registerOnce(instance());
                assertThat(inMaintenance(retrying)).as("connected").isFalse();

                toLeader.set(LinkProxy.Direction.BACKWARD, LinkProxy.Mode.BLACKHOLE);
                CompletableFuture<SetMaintenanceResponse> lostAnswer = retrying.setMaintenanceAsync("orders", "i1", true, "kernel upgrade");
                // the first attempt is applied: a linearizable read sees the instance out of service
                Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20)).until(() -> inMaintenance(other));
                other.setMaintenance("orders", "i1", false, null);
                assertThat(lostAnswer).as("the maintenance change still waits for its lost answer").isNotDone();

                SetMaintenanceResponse retried = lostAnswer.get(20, TimeUnit.SECONDS);

                assertThat(retried.getChanged()).as("answered as its first attempt").isTrue();
                assertThat(inMaintenance(other)).as("back in service, as the call acknowledged after it left it").isFalse();
            }
        }
    }
}
