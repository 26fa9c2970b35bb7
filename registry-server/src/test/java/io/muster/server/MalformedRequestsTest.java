package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.RawCalls;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/** Bad input over real gRPC gets INVALID_ARGUMENT with the field named; garbage never kills a node. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class MalformedRequestsTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    String follower;

    @BeforeAll
    void start() {
        follower = cluster.aFollower().id();
    }

    private static void invalid(String message, Executable call) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith(message);
        });
    }

    @Test
    void invalidRequestsOnAFollowerAreRejectedWithTheField() {
        var stub = Api.registry(cluster.channel(follower));
        invalid("instance: missing", () -> stub.register(RegisterRequest.getDefaultInstance()));
        invalid("instance.port: 70000 (expected: 1-65535)", () -> stub.register(RegisterRequest.newBuilder()
                .setInstance(Api.instance("orders", "o1", 70000)).build()));
        invalid("instance.lease_ttl_ms: 10 (expected: 1000-3600000)", () -> stub.register(RegisterRequest.newBuilder()
                .setInstance(Api.instance("orders", "o1", 80).toBuilder().setLeaseTtlMs(10)).build()));
        invalid("service: 'BAD NAME'", () -> stub.deregister(DeregisterRequest.newBuilder().setService("BAD NAME").setInstanceId("x").build()));
        invalid("instance_id: ''", () -> stub.deregister(DeregisterRequest.newBuilder().setService("orders").build()));
        invalid("service: ''", () -> stub.discover(DiscoverRequest.getDefaultInstance()));
        invalid("consistency: UNRECOGNIZED", () -> stub.discover(DiscoverRequest.newBuilder().setService("orders").setConsistencyValue(7).build()));
        invalid("services[0]: 'x y'", () -> stub.watch(WatchRequest.newBuilder().addServices("x y").build()).hasNext());
        invalid("start_revision: -1", () -> stub.watch(WatchRequest.newBuilder().setStartRevision(-1).build()).hasNext());
        invalid("progress_interval_ms: 5 (expected: 100-600000)", () -> stub.watch(WatchRequest.newBuilder().setProgressIntervalMs(5).build()).hasNext());
    }

    /** Raw bytes that are not a RegisterRequest. */
    @Test
    void garbageBytesDoNotHurtTheNode() {
        MethodDescriptor<byte[], byte[]> raw = RawCalls.raw(RegistryGrpc.getRegisterMethod());
        byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01, 0x02};
        for (String id : cluster.ids()) {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(cluster.channel(id), raw,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), garbage))
                    .isInstanceOf(StatusRuntimeException.class);
        }
        // every node still serves
        Api.register(cluster.channel(follower), Api.instance("after-garbage", "a1", 1234));
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "after-garbage", Consistency.LINEARIZABLE).getInstancesList())
                    .extracting(Instance::getId).containsExactly("a1");
        }
    }
}
