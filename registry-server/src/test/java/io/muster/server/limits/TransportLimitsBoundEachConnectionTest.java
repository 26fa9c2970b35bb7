package io.muster.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.RegistryNode;
import io.muster.server.config.Limits;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transport limits of {@code ServerLimits}: a message over {@code max-message-bytes} is
 * refused without hurting its connection; calls over {@code max-concurrent-calls-per-connection}
 * wait for a free HTTP/2 stream while other connections are served; a connection idle for
 * {@code max-connection-idle-ms} is closed by the member.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class TransportLimitsBoundEachConnectionTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withLimits(Limits.builder()
                .maxMessageBytes(64 * 1024).maxInstanceBytes(32 * 1024).maxConcurrentCallsPerConnection(3)
                .maxConnectionIdleMs(1000).build()));
    final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }

    private ManagedChannel connect(RegistryNode node) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(node.grpcAddress()).usePlaintext().build();
        channels.add(ch);
        return ch;
    }

    @Test
    void aMessageOverMaxMessageBytesIsRefusedAndTheConnectionKeepsServing() {
        ManagedChannel ch = connect(cluster.aFollower());
        RegisterRequest huge = RegisterRequest.newBuilder().setInstance(Api.instance("big", "b1", 8080).toBuilder()
                .putMetadata("blob", "x".repeat(70_000))).build();
        assertThatThrownBy(() -> Api.registry(ch).register(huge)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            // grpc-java's own words (the transport refuses the frame before any handler runs)
            assertThat(e.getStatus().getDescription()).contains("65536");
        });
        Api.register(ch, Api.instance("small", "s1", 8080));
        assertThat(Api.discover(ch, "small", Consistency.LINEARIZABLE).getInstancesCount()).isEqualTo(1);
    }

    @Test
    void callsOverTheConnectionsStreamLimitWaitWhileOtherConnectionsAreServed() {
        RegistryNode node = cluster.aFollower();
        ManagedChannel busy = connect(node);
        ManagedChannel other = connect(node);
        List<Streams.Watch> watches = List.of(new Streams.Watch(busy, "a"), new Streams.Watch(busy, "b"), new Streams.Watch(busy, "c"));
        await().atMost(Duration.ofSeconds(10)).until(() -> watches.stream().allMatch(Streams.Watch::serving));

        DiscoverRequest discover = DiscoverRequest.newBuilder().setService("a").build();
        assertThatThrownBy(() -> RegistryGrpc.newBlockingStub(busy).withDeadlineAfter(1, TimeUnit.SECONDS).discover(discover))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(Api.registry(other).discover(discover).getInstancesCount()).isZero();
        assertThat(watches).allMatch(Streams.Watch::serving);

        watches.get(0).cancel();
        assertThat(Api.registry(busy).discover(discover).getInstancesCount()).isZero();
        watches.subList(1, 3).forEach(Streams.Watch::cancel);
    }

    @Test
    void anIdleConnectionIsClosedByTheMember() {
        ManagedChannel ch = connect(cluster.aFollower());
        Api.discover(ch, "a", Consistency.LOCAL);
        assertThat(ch.getState(false)).isEqualTo(ConnectivityState.READY);
        await().atMost(Duration.ofSeconds(10)).until(() -> ch.getState(false) == ConnectivityState.IDLE);
        // the next call reconnects
        Api.discover(ch, "a", Consistency.LOCAL);
    }
}
