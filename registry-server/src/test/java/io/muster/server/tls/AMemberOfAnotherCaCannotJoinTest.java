package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.AddMemberRequest;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.server.RegistryNode;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.TestPki;
import io.muster.testkit.ClusterTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member holding a certificate of another CA is added by an operator (Cluster.AddMember on the
 * leader): the leader's Raft connections to it fail the handshake, so it never becomes a peer, the
 * configuration stays the three members, and it never receives a byte of the catalog.
 */
@ClusterTest
class AMemberOfAnotherCaCannotJoinTest {

    private static final TestPki PKI = TestPki.create("muster-test-ca");
    private static final TestPki OTHER = TestPki.create("another-ca");

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withPeerTls(PKI.member(c.self().id())));

    @Test
    void itsJoinIsRefusedAndTheMembershipIsUnchanged() {
        RegistryNode leader = cluster.awaitLeader();
        Api.register(cluster.channel(leader.id()), Api.instance("catalog-secret", "i1", 7000));
        PeerSpec rogue = cluster.startJoiningNode("n4", c -> c.withPeerTls(OTHER.member("n4")));
        Member m = Member.newBuilder().setId(rogue.id()).setRaftAddress(rogue.raftAddress())
                .setGrpcAddress(rogue.grpcAddress()).setPeerAddress(rogue.peerAddress()).build();

        assertThatThrownBy(() -> io.muster.api.v1.ClusterGrpc.newBlockingStub(cluster.channel(leader.id()))
                .withDeadlineAfter(15, TimeUnit.SECONDS)
                .addMember(AddMemberRequest.newBuilder().setMember(m).build()))
                .isInstanceOf(StatusRuntimeException.class);

        RegistryNode now = cluster.awaitLeader();
        assertThat(Api.cluster(cluster.channel(now.id())).members(MembersRequest.getDefaultInstance()).getMembersList())
                .extracting(Member::getRaftAddress)
                .containsExactlyInAnyOrderElementsOf(cluster.peers().stream().filter(p -> !p.id().equals("n4"))
                        .map(PeerSpec::raftAddress).toList());
        assertThat(Gauges.revision(cluster.node("n4"))).as("what the rogue member applied").isZero();
        // the three members go on replicating
        Api.register(cluster.channel(cluster.aFollower().id()), Api.instance("catalog-secret", "i2", 7001));
        for (String id : new String[] {"n1", "n2", "n3"}) {
            assertThat(Api.discover(cluster.channel(id), "catalog-secret", Consistency.LINEARIZABLE).getInstancesList())
                    .as("on %s", id).hasSize(2);
        }
    }
}
