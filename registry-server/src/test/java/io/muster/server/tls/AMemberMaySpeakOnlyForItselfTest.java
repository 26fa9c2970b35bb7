package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.alipay.sofa.jraft.CliService;
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
import io.muster.api.v1.AddMemberRequest;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.server.RegistryNode;
import io.muster.server.config.PeerSpec;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.raft.BoltTls;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.TestPki;
import io.muster.testkit.ClusterTest;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member certificate of the cluster CA speaks for one member: a member that dials member B (its
 * peer channel, its Raft connections) accepts only a certificate carrying {@code muster://member/B}.
 * So a newcomer holding another member's certificate (a copied key, a mix-up of files) is added in
 * vain: the leader refuses it at the handshake, the configuration stays the three, and it receives
 * nothing; and a caller that expects n3 at n2's address is refused by both transports' handshakes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class AMemberMaySpeakOnlyForItselfTest {

    private static final TestPki PKI = TestPki.create("muster-test-ca");

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withPeerTls(PKI.member(c.self().id())));

    /** A certificate of the cluster CA for {@code identity}, written to its own files (not the member's own). */
    private static PeerTlsFiles certificateFor(String identity, String fileName) {
        try {
            Path dir = Files.createDirectories(PKI.caFile().getParent().resolve("others"));
            Path cert = dir.resolve(fileName + ".pem");
            Path key = dir.resolve(fileName + "-key.pem");
            PKI.ca().issueMember(identity, List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(cert, key);
            return new PeerTlsFiles(cert, key, PKI.caFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aNewcomerHoldingAnotherMembersCertificateCannotJoin() {
        RegistryNode leader = cluster.awaitLeader();
        Api.register(cluster.channel(leader.id()), Api.instance("catalog-secret", "i1", 7000));
        // n4 at its own addresses, presenting n2's identity
        PeerSpec impostor = cluster.startJoiningNode("n4", c -> c.withPeerTls(certificateFor("n2", "n4-holding-n2")));
        Member m = Member.newBuilder().setId(impostor.id()).setRaftAddress(impostor.raftAddress())
                .setGrpcAddress(impostor.grpcAddress()).setPeerAddress(impostor.peerAddress()).build();

        assertThatThrownBy(() -> io.muster.api.v1.ClusterGrpc.newBlockingStub(cluster.channel(leader.id()))
                .withDeadlineAfter(15, TimeUnit.SECONDS)
                .addMember(AddMemberRequest.newBuilder().setMember(m).build()))
                .isInstanceOf(StatusRuntimeException.class);

        RegistryNode now = cluster.awaitLeader();
        assertThat(Api.cluster(cluster.channel(now.id())).members(MembersRequest.getDefaultInstance()).getMembersList())
                .extracting(Member::getRaftAddress)
                .containsExactlyInAnyOrderElementsOf(cluster.peers().stream().filter(p -> !p.id().equals("n4"))
                        .map(PeerSpec::raftAddress).toList());
        assertThat(Gauges.revision(cluster.node("n4"))).as("what the impostor applied").isZero();
        Api.register(cluster.channel(cluster.aFollower().id()), Api.instance("catalog-secret", "i2", 7001));
        for (String id : new String[] {"n1", "n2", "n3"}) {
            assertThat(Api.discover(cluster.channel(id), "catalog-secret", Consistency.LINEARIZABLE).getInstancesList())
                    .as("on %s", id).hasSize(2);
        }
    }

    private static HealthCheckResponse.ServingStatus peerHealth(String peerAddress, SslContext tls) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(peerAddress).sslContext(tls).build();
        try {
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void aPeerChannelAcceptsOnlyTheMemberItWasBuiltFor() throws IOException {
        cluster.awaitLeader();
        PeerTlsFiles n1Files = PKI.member("n1-copy");
        PeerTls asN1 = PeerTls.load(n1Files.certificate(), n1Files.key(), n1Files.ca());
        String n2Peer = cluster.spec("n2").peerAddress();
        assertThat(peerHealth(n2Peer, asN1.grpcClientContext("n2"))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThatThrownBy(() -> peerHealth(n2Peer, asN1.grpcClientContext("n3")))
                .isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAVAILABLE");
    }

    /**
     * jraft's CLI client over TLS as member n1-copy, expecting {@code expected} at n2's Raft address
     * and each other member at its own (the CLI goes on to the leader, which need not be n2).
     */
    private static void withCli(PeerTls tls, String expected, Consumer<CliService> use) throws IOException {
        java.util.Map<Integer, String> byPort = new java.util.HashMap<>();
        for (String id : List.of("n1", "n2", "n3")) {
            byPort.put(PeerId.parsePeer(cluster.spec(id).raftAddress()).getPort(), id.equals("n2") ? expected : id);
        }
        SslContext ctx = tls.raftClientContext((host, port) -> Optional.ofNullable(byPort.get(port)));
        CliServiceImpl cli = new CliServiceImpl();
        CliOptions options = new CliOptions();
        options.setTimeoutMs(2_000);
        options.setMaxRetry(1);
        cli.init(options);
        try {
            BoltTls.client(((AbstractClientService) cli.getCliClientService()).getRpcClient(), ctx);
            use.accept(cli);
        } finally {
            cli.shutdown();
        }
    }

    @Test
    void aRaftConnectionAcceptsOnlyTheMemberAtTheAddressDialled() throws IOException {
        cluster.awaitLeader();
        PeerTlsFiles files = PKI.member("n1-copy");
        PeerTls asN1 = PeerTls.load(files.certificate(), files.key(), files.ca());
        Configuration onlyN2 = new Configuration(List.of(PeerId.parsePeer(cluster.spec("n2").raftAddress())));
        withCli(asN1, "n2", cli -> assertThat(cli.getPeers("muster", onlyN2)).hasSize(3));
        withCli(asN1, "n3", cli -> assertThatThrownBy(() -> cli.getPeers("muster", onlyN2)).isInstanceOf(IllegalStateException.class));
    }
}
