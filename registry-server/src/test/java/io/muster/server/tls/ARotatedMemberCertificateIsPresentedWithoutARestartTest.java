package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.HostAndPort;
import io.muster.api.v1.Consistency;
import io.muster.server.config.PeerSpec;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.TestPki;
import io.muster.testkit.ClusterTest;
import java.math.BigInteger;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member's certificate files are replaced (a new certificate of the same CA, written the way
 * {@code muster cert} writes: temporary file and rename): without a restart, the member presents the
 * new certificate on new connections of both the peer listener and the Raft port, and the cluster
 * goes on replicating and forwarding.
 */
@ClusterTest
class ARotatedMemberCertificateIsPresentedWithoutARestartTest {

    private static final TestPki PKI = TestPki.create("muster-test-ca");

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withPeerTls(PKI.member(c.self().id())));

    @Test
    void theNewCertificateIsPresentedOnBothPortsAndTheClusterKeepsWorking() {
        cluster.awaitLeader();
        PeerSpec n1 = cluster.spec("n1");
        PeerTlsFiles probe = PKI.member("probe");
        HostAndPort peerPort = HostAndPort.fromString(n1.peerAddress());
        HostAndPort raftPort = HostAndPort.fromString(n1.raftAddress());
        BigInteger before = TestPki.presentedCertificate(probe, peerPort).getSerialNumber();
        assertThat(TestPki.presentedCertificate(probe, raftPort).getSerialNumber()).isEqualTo(before);

        // rewrites n1's files with a new certificate
        BigInteger rotated = TestPki.serial(PKI.member("n1"));
        assertThat(rotated).isNotEqualTo(before);
        BigInteger expected = rotated;
        Awaitility.await("n1 presents its new certificate").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    assertThat(TestPki.presentedCertificate(probe, peerPort).getSerialNumber()).as("peer listener").isEqualTo(expected);
                    assertThat(TestPki.presentedCertificate(probe, raftPort).getSerialNumber()).as("raft port").isEqualTo(expected);
                });

        // new connections between members use it: a write forwarded to whichever member leads, seen everywhere
        Api.register(cluster.channel(cluster.aFollower().id()), Api.instance("after-rotation", "i1", 7000));
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "after-rotation", Consistency.LINEARIZABLE).getInstancesList())
                    .as("on %s", id).hasSize(1);
        }
    }
}
