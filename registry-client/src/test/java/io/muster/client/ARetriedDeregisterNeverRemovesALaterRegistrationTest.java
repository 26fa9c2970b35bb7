package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.Instance;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.LinkProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The robustness suite's linearizability finding (seed -1738659672382650606, docs/robustness.md),
 * made deterministic: a client's deregister reaches the leader and is applied, but its answer is
 * lost (the bytes back to the client are dropped). While the client waits out its attempt, another
 * client registers the same instance again and is acknowledged. The first client then retries on
 * another member. Applied a second time, the retry removed the newer registration: a read had seen
 * the deregister take effect before that registration, and a later read saw the registration gone,
 * which no order of the three calls explains. With the request id the client keeps across retries,
 * the cluster answers the retry as its first attempt and the registration stays.
 */
@ClusterTest
class ARetriedDeregisterNeverRemovesALaterRegistrationTest {

    @TempDir
    Path dir;

    static Instance instance(int port) {
        return Instance.newBuilder().setService("orders").setId("i1").setHost("127.0.0.1").setPort(port).setLeaseTtlMs(600_000).build();
    }

    static Map<String, Integer> ports(List<Instance> instances) {
        Map<String, Integer> m = new TreeMap<>();
        instances.forEach(i -> m.put(i.getId(), i.getPort()));
        return m;
    }

    @Test
    void theRetryIsAnsweredAndTheLaterRegistrationStays() throws Exception {
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
                other.registerOnce(instance(11934));
                assertThat(ports(retrying.discover("orders", DiscoverFilter.all()))).containsEntry("i1", 11934); // connected

                toLeader.set(LinkProxy.Direction.BACKWARD, LinkProxy.Mode.BLACKHOLE);
                CompletableFuture<DeregisterResponse> lostAnswer = retrying.deregisterAsync("orders", "i1");
                // the first attempt is applied: a linearizable read no longer sees the instance
                Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                        .until(() -> ports(other.discover("orders", DiscoverFilter.all())).isEmpty());
                other.registerOnce(instance(11955));
                assertThat(lostAnswer).as("the deregister still waits for its lost answer").isNotDone();

                DeregisterResponse retried = lostAnswer.get(20, TimeUnit.SECONDS);

                assertThat(retried.getFound()).as("answered as its first attempt").isTrue();
                assertThat(ports(other.discover("orders", DiscoverFilter.all())))
                        .as("the registration acknowledged after the deregister took effect").containsExactlyEntriesOf(Map.of("i1", 11955));
            }
        }
    }
}
