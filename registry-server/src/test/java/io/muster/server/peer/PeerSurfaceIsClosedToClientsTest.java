package io.muster.server.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.InternalGrpc;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RemoveMemberCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client port serves clients only: no {@code muster.internal.v1}, no honoured forwarded-by
 * marker; the peer listener takes from members only what members legitimately send.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class PeerSurfaceIsClosedToClientsTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    private static Command register(String service, String id) {
        return Command.newBuilder().setNowMs(System.currentTimeMillis())
                .setRegister(RegisterCmd.newBuilder().setInstance(Instance.newBuilder().setService(service).setId(id))).build();
    }

    @Test
    void internalProposeOnThePublicPortIsUnimplemented() {
        for (String id : cluster.ids()) {
            assertThatThrownBy(() -> InternalGrpc.newBlockingStub(cluster.channel(id)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .propose(register("", "")))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).as("on %s", id).isEqualTo(Status.Code.UNIMPLEMENTED));
        }
        assertThat(cluster.ids()).allSatisfy(id -> assertThat(Api.cluster(cluster.channel(id)).leader(LeaderRequest.getDefaultInstance())
                .getLeader().getId()).as("the leader known to %s", id).isNotEmpty());
    }

    @Test
    void reflectionOnThePublicPortListsNoInternalService() throws Exception {
        CompletableFuture<List<String>> names = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(cluster.channel(cluster.aFollower().id()))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        names.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        names.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        req.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> listed = names.get(5, TimeUnit.SECONDS);
        req.onCompleted();
        assertThat(listed).contains(RegistryGrpc.SERVICE_NAME).noneMatch(n -> n.startsWith("muster.internal"));
    }

    @Test
    void proposalsMembersNeverForwardAreRefusedOnThePeerPortAndChangeNothing() {
        RegistryNode leader = cluster.awaitLeader();
        RegisterResponse victim = Api.register(cluster.channel(leader.id()), Api.instance("victim", "v1", 7001));
        awaitSameRevisionEverywhere();
        long revision = Gauges.revision(leader);
        List<Member> members = Api.snapshot(cluster.channel(leader.id()), false).getMembersList();
        Map<String, Command> forged = Map.of(
                "REGISTER", register("", ""),
                "DEREGISTER", Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("victim").setInstanceId("v1")).build(),
                "EXPIRE_LEASE", Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(victim.getLeaseId())
                        .setModRevision(victim.getRevision())).build(),
                "SET_MEMBER", Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(members.get(0).toBuilder()
                        .setGrpcAddress("127.0.0.1:1").setPeerAddress("127.0.0.1:2"))).build(),
                "REMOVE_MEMBER", Command.newBuilder().setRemoveMember(RemoveMemberCmd.newBuilder().setId(members.get(0).getId())).build(),
                "BATCH", Command.newBuilder().setBatch(Batch.newBuilder().addCommands(register("", ""))).build(),
                "RESTORE", Command.newBuilder().setRestore(RestoreCmd.getDefaultInstance()).build(),
                "OP_NOT_SET", Command.getDefaultInstance());
        for (String id : cluster.ids()) {
            InternalGrpc.InternalBlockingStub peer = InternalGrpc.newBlockingStub(cluster.peerChannel(id));
            forged.forEach((op, cmd) -> assertThatThrownBy(() -> peer.withDeadlineAfter(5, TimeUnit.SECONDS).propose(cmd))
                    .as("%s on %s", op, id)
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains(op).contains("SET_HEALTH");
                    }));
        }
        // a forged health transition of an instance no member probes (it has no checks)
        Command forgedHealth = Command.newBuilder().setSetHealth(io.muster.internal.v1.SetHealthCmd.newBuilder()
                .setService("victim").setInstanceId("v1").setHealth(HealthStatus.UNHEALTHY).setReason("forged")).build();
        for (String id : cluster.ids()) {
            assertThatThrownBy(() -> InternalGrpc.newBlockingStub(cluster.peerChannel(id)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .propose(forgedHealth))
                    .as("SET_HEALTH of a check-less instance on %s", id)
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).contains("victim/v1 has no health checks");
                    });
        }
        // nothing reached the log: same revision, same directory, the victim still there and served
        for (RegistryNode n : cluster.nodes()) {
            assertThat(Gauges.revision(n)).as("revision on %s", n.id()).isEqualTo(revision);
            assertThat(Api.snapshot(cluster.channel(n.id()), false).getMembersList()).as("directory on %s", n.id()).isEqualTo(members);
        }
        RegisterResponse after = Api.register(cluster.channel(cluster.aFollower().id()), Api.instance("after", "a1", 7002));
        assertThat(after.getRevision()).isEqualTo(revision + 1);
        assertThat(Api.discover(cluster.channel(cluster.aFollower().id()), "victim", Consistency.LINEARIZABLE).getInstancesList())
                .extracting(Instance::getHealth).containsExactly(HealthStatus.HEALTHY);
    }

    @Test
    void aClientSendingForwardedByToAFollowerIsServedAsAnyClient() {
        RegistryNode follower = cluster.aFollower();
        Metadata h = new Metadata();
        h.put(Forwarder.FORWARDED_BY, "n1");
        RegistryGrpc.RegistryBlockingStub pretending = RegistryGrpc.newBlockingStub(cluster.channel(follower.id()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
        RegisterResponse r = pretending.withDeadlineAfter(10, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setInstance(Api.instance("pretender", "p1", 7003)).build());
        assertThat(r.getRevision()).isPositive();
        assertThat(Api.discover(cluster.channel(cluster.awaitLeader().id()), "pretender", Consistency.LINEARIZABLE).getInstancesCount())
                .isEqualTo(1);
        // and the Cluster calls, which a forwarded call answers from the leader only
        assertThat(io.muster.api.v1.ClusterGrpc.newBlockingStub(cluster.channel(follower.id()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .members(MembersRequest.getDefaultInstance()).getLeaderId()).isEqualTo(cluster.awaitLeader().id());
    }

    @Test
    void thePeerPortServesOnlyWhatMembersForward() {
        String id = cluster.aFollower().id();
        assertThatThrownBy(() -> RegistryGrpc.newBlockingStub(cluster.peerChannel(id)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .discover(DiscoverRequest.newBuilder().setService("victim").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    }

    private void awaitSameRevisionEverywhere() {
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(cluster.nodes().stream().map(Gauges::revision).distinct()).hasSize(1));
    }
}
