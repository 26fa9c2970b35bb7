package io.muster.server.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.ForwardBatchRequest;
import io.muster.internal.v1.ForwardBatchResponse;
import io.muster.internal.v1.ForwardedCall;
import io.muster.internal.v1.ForwardingGrpc;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writes that reach a follower go to the leader in batches: every one is applied once and answered
 * with its own outcome, and the leader answers every call of a batch on its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class WritesThroughAFollowerGoToTheLeaderInBatchesTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @Test
    void manyConcurrentWritesThroughAFollowerAreEachAppliedOnceInSharedBatches() throws Exception {
        RegistryNode follower = cluster.aFollower();
        int n = 600;
        var stub = RegistryGrpc.newFutureStub(cluster.channel(follower.id())).withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<RegisterResponse>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(stub.register(RegisterRequest.newBuilder().setInstance(Api.instance("fwd", "f-" + i, 20_000 + i)).build()));
        }
        Map<String, Long> revisions = new HashMap<>();
        for (var call : calls) {
            RegisterResponse r = call.get(40, TimeUnit.SECONDS);
            // a second application of the same registration would answer updated=true
            assertThat(r.getUpdated()).as("%s applied once", r.getInstanceId()).isFalse();
            revisions.put(r.getInstanceId(), r.getRevision());
        }
        assertThat(revisions).hasSize(n);
        assertThat(revisions.values()).doesNotHaveDuplicates();
        for (String id : cluster.ids()) {
            List<Instance> got = Api.discover(cluster.channel(id), "fwd", Consistency.LINEARIZABLE).getInstancesList();
            assertThat(got).as("instances on %s", id).hasSize(n);
            // nothing applied after the acknowledgment: each instance is still at the revision its writer got
            assertThat(got).allSatisfy(i -> assertThat(i.getModRevision()).isEqualTo(revisions.get(i.getId())));
        }
        var sizes = follower.meters().get("muster.forward.batch.size").summary();
        assertThat(sizes.max()).as("largest forwarded batch").isGreaterThan(1);
        assertThat((long) sizes.totalAmount()).as("writes forwarded in batches").isGreaterThanOrEqualTo(n);
        assertThat(follower.meters().get("muster.forward.queued").gauge().value()).isZero();
    }

    @Test
    void goodAndBadWritesForwardedTogetherGetTheirOwnOutcomes() throws Exception {
        RegistryNode follower = cluster.aFollower();
        Api.register(cluster.channel(follower.id()), Api.instance("mixed", "gone-later", 7100));
        var stub = RegistryGrpc.newFutureStub(cluster.channel(follower.id())).withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<RegisterResponse>> good = new ArrayList<>();
        List<ListenableFuture<DeregisterResponse>> deregisters = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            good.add(stub.register(RegisterRequest.newBuilder().setInstance(Api.instance("mixed", "m-" + i, 7200 + i)).build()));
            // found once, then not found: neither fails its neighbours
            deregisters.add(stub.deregister(DeregisterRequest.newBuilder().setService("mixed").setInstanceId(i == 0 ? "gone-later" : "never-" + i).build()));
        }
        for (var g : good) {
            assertThat(g.get(40, TimeUnit.SECONDS).getUpdated()).isFalse();
        }
        int found = 0;
        for (var d : deregisters) {
            found += d.get(40, TimeUnit.SECONDS).getFound() ? 1 : 0;
        }
        assertThat(found).isEqualTo(1);

        // and a batch with calls the leader must refuse, sent as a follower sends it
        RegistryNode leader = cluster.awaitLeader();
        Metadata by = new Metadata();
        by.put(Forwarder.FORWARDED_BY, follower.id());
        var peer = ForwardingGrpc.newBlockingStub(cluster.peerChannel(leader.id()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(by)).withDeadlineAfter(20, TimeUnit.SECONDS);
        ForwardBatchResponse resp = peer.forwardBatch(ForwardBatchRequest.newBuilder()
                .addCalls(call(RegistryGrpc.getRegisterMethod().getFullMethodName(),
                        RegisterRequest.newBuilder().setInstance(Api.instance("mixed", "ok-1", 7400)).build().toByteString(), 10_000))
                .addCalls(call(RegistryGrpc.getRegisterMethod().getFullMethodName(),
                        RegisterRequest.newBuilder().setInstance(Api.instance("mixed", "bad port", 0)).build().toByteString(), 10_000))
                .addCalls(call(RegistryGrpc.getRegisterMethod().getFullMethodName(), ByteString.copyFromUtf8("\u00ff\u00ff not protobuf"), 10_000))
                .addCalls(call("muster.v1.Registry/Discover", ByteString.EMPTY, 10_000))
                .addCalls(call(RegistryGrpc.getRegisterMethod().getFullMethodName(),
                        RegisterRequest.newBuilder().setInstance(Api.instance("mixed", "expired", 7401)).build().toByteString(), 0))
                .addCalls(call(RegistryGrpc.getRegisterMethod().getFullMethodName(),
                        RegisterRequest.newBuilder().setInstance(Api.instance("mixed", "ok-2", 7402)).build().toByteString(), 10_000))
                .build());
        assertThat(resp.getResultsList()).extracting(r -> Status.fromCodeValue(r.getCode()).getCode()).containsExactly(
                Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT, Status.Code.UNIMPLEMENTED,
                Status.Code.DEADLINE_EXCEEDED, Status.Code.OK);
        assertThat(resp.getResults(1).getMessage()).contains("port");
        assertThat(RegisterResponse.parseFrom(resp.getResults(5).getResponse()).getInstanceId()).isEqualTo("ok-2");
        assertThat(Api.discover(cluster.channel(follower.id()), "mixed", Consistency.LINEARIZABLE).getInstancesList())
                .extracting(Instance::getId).contains("ok-1", "ok-2").doesNotContain("expired", "gone-later");
    }

    @Test
    void aBatchWithoutTheForwardedMarkIsRefused() {
        RegistryNode leader = cluster.awaitLeader();
        var peer = ForwardingGrpc.newBlockingStub(cluster.peerChannel(leader.id())).withDeadlineAfter(10, TimeUnit.SECONDS);
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                () -> peer.forwardBatch(ForwardBatchRequest.getDefaultInstance()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    private static ForwardedCall call(String method, ByteString request, long timeoutMs) {
        return ForwardedCall.newBuilder().setMethod(method).setRequest(request).setTimeoutMs(timeoutMs).build();
    }
}
