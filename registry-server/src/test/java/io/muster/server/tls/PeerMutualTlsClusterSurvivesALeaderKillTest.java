package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Consistency;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.testing.Api;
import io.muster.server.testing.TestPki;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three member JVMs started with {@code --peer-tls-cert/-key/-ca}, as deployed: they elect a leader,
 * replicate, forward a write received by a follower to the leader (peer listener, mTLS), and after
 * a SIGKILL of the leader elect another over the TLS Raft transport and keep accepting writes; the
 * killed member restarts and catches up. Every member's log shows the peer TLS it started with.
 */
@ProcessTest
class PeerMutualTlsClusterSurvivesALeaderKillTest {

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static List<String> flags(PeerTlsFiles f) {
        return List.of("--peer-tls-cert", f.certificate().toString(), "--peer-tls-key", f.key().toString(),
                "--peer-tls-ca", f.ca().toString());
    }

    @Test
    void electsReplicatesForwardsAndFailsOverWithPeerMtls() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "muster-test-ca");
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).memberFlags(id -> flags(pki.member(id))).start()) {
            ProcessCluster.Member leader = cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT);
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT); // a leader needs only two of three
            ProcessCluster.Member follower = cluster.members().stream().filter(m -> !m.id().equals(leader.id())).findFirst().orElseThrow();
            // a follower forwards the write to the leader over the peer listener
            Api.register(cluster.channel(follower.id()), Api.instance("orders", "o1", 8001));
            for (ProcessCluster.Member m : cluster.members()) {
                assertThat(Api.discover(cluster.channel(m.id()), "orders", Consistency.LINEARIZABLE).getInstancesList())
                        .as("on %s", m.id()).hasSize(1);
                assertThat(Files.readString(m.log())).as("log of %s", m.id()).contains("peer TLS: member certificate");
            }

            cluster.kill(leader.id());
            ProcessCluster.Member next = cluster.awaitLeader(Duration.ofSeconds(30));
            assertThat(next.id()).isNotEqualTo(leader.id());
            ProcessCluster.Member survivor = cluster.members().stream()
                    .filter(m -> !m.id().equals(leader.id()) && !m.id().equals(next.id())).findFirst().orElseThrow();
            Awaitility.await("a write through the surviving follower").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> Api.register(cluster.channel(survivor.id()), Api.instance("orders", "o2", 8002)) != null);

            cluster.startNode(leader.id());
            Awaitility.await("the restarted member catches up").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> Api.discover(cluster.channel(leader.id()), "orders", Consistency.LINEARIZABLE).getInstancesCount() == 2);
        }
    }
}
