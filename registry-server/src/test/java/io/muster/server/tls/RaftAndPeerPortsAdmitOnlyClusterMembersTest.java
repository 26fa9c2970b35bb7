package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.alipay.sofa.jraft.CliService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.CliServiceImpl;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.option.CliOptions;
import com.alipay.sofa.jraft.rpc.impl.AbstractClientService;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.Consistency;
import io.muster.server.RegistryNode;
import io.muster.server.config.PeerSpec;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.raft.BoltTls;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.TestPki;
import io.muster.testkit.ClusterTest;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With peer mTLS, the Raft port (jraft's stock {@code CliService} over bolt) and the peer listener
 * (gRPC) answer members of the cluster CA only: not a plaintext caller (which reached {@code getPeers},
 * {@code transferLeader}, {@code snapshot} before), not a client certificate of the same CA (a
 * gateway's), not a member certificate of another CA. A member certificate of the cluster CA gets in:
 * the refusals are about who calls, not a broken client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class RaftAndPeerPortsAdmitOnlyClusterMembersTest {

    private static final String GROUP = "muster";
    private static final TestPki PKI = TestPki.create("muster-test-ca");
    private static final TestPki OTHER = TestPki.create("another-ca");

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withPeerTls(PKI.member(c.self().id())));

    private Configuration configuration() {
        Configuration conf = new Configuration();
        cluster.peers().forEach(p -> conf.addPeer(PeerId.parsePeer(p.raftAddress())));
        return conf;
    }

    /** A jraft CLI client, plaintext or presenting {@code tls}' certificate; shut down after {@code use}. */
    private static void withCli(SslContext tls, Consumer<CliService> use) {
        CliServiceImpl cli = new CliServiceImpl();
        CliOptions options = new CliOptions();
        options.setTimeoutMs(2_000);
        options.setMaxRetry(1);
        cli.init(options);
        try {
            if (tls != null) {
                BoltTls.client(((AbstractClientService) cli.getCliClientService()).getRpcClient(), tls);
            }
            use.accept(cli);
        } finally {
            cli.shutdown();
        }
    }

    private void assertCliRefused(SslContext tls) {
        RegistryNode leader = cluster.awaitLeader();
        PeerSpec leaderSpec = cluster.spec(leader.id());
        PeerId follower = PeerId.parsePeer(cluster.spec(cluster.aFollower().id()).raftAddress());
        Configuration conf = configuration();
        withCli(tls, cli -> {
            assertThatThrownBy(() -> cli.getPeers(GROUP, conf)).as("getPeers").isInstanceOf(IllegalStateException.class);
            assertThat(cli.getLeader(GROUP, conf, new PeerId()).isOk()).as("getLeader").isFalse();
            assertThat(cli.transferLeader(GROUP, conf, follower).isOk()).as("transferLeader").isFalse();
            assertThat(cli.snapshot(GROUP, PeerId.parsePeer(leaderSpec.raftAddress())).isOk()).as("snapshot").isFalse();
            Configuration alone = new Configuration(List.of(follower));
            assertThat(cli.changePeers(GROUP, conf, alone).isOk()).as("changePeers").isFalse();
            assertThat(cli.resetPeer(GROUP, follower, alone).isOk()).as("resetPeer").isFalse();
        });
        // nothing moved: same leader, every member still in the configuration and applying
        assertThat(cluster.awaitLeader().id()).isEqualTo(leader.id());
        Api.register(cluster.channel(cluster.aFollower().id()), Api.instance("after-refusals", "i1", 7000));
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "after-refusals", Consistency.LINEARIZABLE).getInstancesList())
                    .as("on %s", id).hasSize(1);
        }
    }

    @Test
    void aPlaintextCliServiceIsRefusedByEveryRaftCall() {
        assertCliRefused(null);
    }

    @Test
    void aClientCertificateOfTheClusterCaIsRefusedOnTheRaftPort() {
        assertCliRefused(TestPki.clientContext(PKI.client("gateway"), false));
    }

    @Test
    void aMemberCertificateOfAnotherCaIsRefusedOnTheRaftPort() {
        assertCliRefused(TestPki.clientContext(OTHER.member("n9"), false));
    }

    @Test
    void aMemberCertificateOfTheClusterCaReachesTheRaftPort() {
        cluster.awaitLeader();
        withCli(TestPki.clientContext(PKI.member("operator-tool"), false), cli ->
                assertThat(cli.getPeers(GROUP, configuration())).hasSize(3));
    }

    private static HealthCheckResponse.ServingStatus peerHealth(String peerAddress, SslContext tls) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(peerAddress);
        ManagedChannel ch = (tls == null ? b.usePlaintext() : b.sslContext(tls)).build();
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void thePeerListenerAnswersOnlyMembersOfTheClusterCa() {
        String peer = cluster.spec(cluster.aFollower().id()).peerAddress();
        assertThat(peerHealth(peer, TestPki.clientContext(PKI.member("operator-tool"), true)))
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        PeerTlsFiles gateway = PKI.client("gateway");
        PeerTlsFiles foreign = OTHER.member("n9");
        for (SslContext refused : new SslContext[] {null, TestPki.clientContext(gateway, true), TestPki.clientContext(foreign, true)}) {
            assertThatThrownBy(() -> peerHealth(peer, refused)).isInstanceOf(StatusRuntimeException.class);
        }
    }

    @Test
    void membersReplicateAndForwardOverMutualTls() {
        RegistryNode follower = cluster.aFollower();
        Api.register(cluster.channel(follower.id()), Api.instance("over-tls", "i1", 7001));
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "over-tls", Consistency.LINEARIZABLE).getInstancesList())
                    .as("on %s", id).hasSize(1);
        }
    }
}
