package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Instance;
import io.muster.client.RegistryClient;
import io.muster.testkit.LinkProxy;
import io.muster.testkit.Network;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A true network partition through the per-link proxies: the leader is cut off from both
 * followers (Raft and peer links blackholed both ways). The majority elects another leader and
 * takes writes; on the isolated member a LINEARIZABLE read fails within its deadline (it cannot
 * reach a quorum) and never answers stale data, while a LOCAL read answers from its applied state
 * (stale, as documented). After the heal the old leader converges.
 */
@ProcessTest
class AnIsolatedLeaderIsReplacedAndItsReadsStayHonestTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void theMajorityGoesOnAndTheIsolatedMemberAnswersOnlyLocalReads() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).proxiedLinks().start()) {
            String old = cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT).id();
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT); // a leader needs only two of three
            Network net = cluster.network();
            try (RegistryClient client = RegistryClient.builder(cluster.targets()).build()) {
                client.registerOnce(instance("before", 7001));
                // the members really talk through the proxies
                String follower = cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(old)).findFirst().orElseThrow();
                assertThat(net.link(old, follower, Network.Port.RAFT).forwardedBytes()).isPositive();

                net.isolate(old);
                String next = Awaitility.await("a leader on the majority side").atMost(Duration.ofSeconds(20))
                        .until(() -> majorityLeader(cluster, old), id -> id != null);
                assertThat(next).isNotEqualTo(old);
                // a write on the majority side, straight to its leader
                try (RegistryClient majority = RegistryClient.builder(cluster.member(next).grpcAddress()).build()) {
                    majority.registerOnce(instance("during", 7002));
                }

                // minority: the linearizable read fails within its deadline, the local one answers (without the new write)
                long start = System.nanoTime();
                assertThatThrownBy(() -> MemberCalls.discover(cluster, old, "iso", Consistency.LINEARIZABLE, Duration.ofSeconds(5)))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                                .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(5_500));
                assertThat(MemberCalls.ports(MemberCalls.discover(cluster, old, "iso", Consistency.LOCAL, Duration.ofSeconds(2)).getInstancesList()))
                        .isEqualTo(Map.of("before", 7001));

                net.heal();
                Awaitility.await("the old leader catches up").atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(MemberCalls.ports(MemberCalls.discover(cluster, old, "iso", Consistency.LOCAL, Duration.ofSeconds(2)).getInstancesList()))
                                .isEqualTo(Map.of("before", 7001, "during", 7002)));
                assertThat(net.link(old, follower, Network.Port.RAFT).mode(LinkProxy.Direction.FORWARD)).isEqualTo(LinkProxy.Mode.PASS);
            }
        }
    }

    private static String majorityLeader(ProcessCluster cluster, String isolated) {
        for (ProcessCluster.Member m : cluster.members()) {
            if (m.id().equals(isolated)) {
                continue;
            }
            try {
                var s = MemberCalls.status(cluster.channel(m.id()), Duration.ofSeconds(1));
                if (s.getIsLeader()) {
                    return m.id();
                }
            } catch (StatusRuntimeException e) {
                // not answering yet
            }
        }
        return null;
    }

    private static Instance instance(String id, int port) {
        return Instance.newBuilder().setService("iso").setId(id).setHost("127.0.0.1").setPort(port).setLeaseTtlMs(600_000).build();
    }

}
