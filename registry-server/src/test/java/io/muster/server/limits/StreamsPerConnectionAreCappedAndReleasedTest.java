package io.muster.server.limits;

import static io.muster.server.limits.Streams.KEEP_ALIVE;
import static io.muster.server.limits.Streams.WATCH;
import static io.muster.server.limits.Streams.assertStatus;
import static io.muster.server.limits.Streams.connections;
import static io.muster.server.limits.Streams.counted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.WatchRequest;
import io.muster.server.RegistryNode;
import io.muster.server.config.Limits;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Watch and KeepAlive streams over a connection's cap, and watchers over a member's cap, are
 * refused with the limit named; the other streams keep being served, and closing a stream (cancelled,
 * completed or failed) gives its slot back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class StreamsPerConnectionAreCappedAndReleasedTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withLimits(Limits.builder()
                .maxWatchersPerConnection(3).maxKeepAliveStreamsPerConnection(2).maxWatchers(5).build()));
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

    private static void awaitServing(Streams.Watch... watches) {
        await().atMost(Duration.ofSeconds(10)).until(() -> List.of(watches).stream().allMatch(Streams.Watch::serving));
    }

    private static void awaitReleased(RegistryNode node) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(counted(node, WATCH)).isZero();
            assertThat(counted(node, KEEP_ALIVE)).isZero();
            assertThat(connections(node)).isZero();
            assertThat(Gauges.watchers(node)).isZero();
        });
    }

    @Test
    void aFourthWatchOnAConnectionIsRefusedAndACancelledOneGivesItsSlotBack() {
        RegistryNode node = cluster.aFollower();
        ManagedChannel a = connect(node);
        ManagedChannel b = connect(node);
        Streams.Watch a1 = new Streams.Watch(a, "orders");
        Streams.Watch a2 = new Streams.Watch(a, "orders");
        Streams.Watch a3 = new Streams.Watch(a, "payments");
        awaitServing(a1, a2, a3);

        Streams.Watch a4 = new Streams.Watch(a, "orders");
        await().atMost(Duration.ofSeconds(10)).until(() -> a4.error.get() != null);
        assertStatus(a4.error.get(), Status.Code.RESOURCE_EXHAUSTED, "max-watchers-per-connection: 4 (limit 3)");
        assertThat(counted(node, WATCH)).isEqualTo(3);

        // the same connection's other streams, its unary calls and other connections are served
        Streams.Watch b1 = new Streams.Watch(b, "orders");
        awaitServing(b1);
        Api.register(a, Api.instance("orders", "o1", 8080));
        await().atMost(Duration.ofSeconds(10)).until(() -> a1.messages.get() >= 2 && a2.messages.get() >= 2);
        assertThat(List.of(a1, a2, a3)).allMatch(Streams.Watch::serving);

        a2.cancel();
        await().atMost(Duration.ofSeconds(10)).until(() -> counted(node, WATCH) == 3);
        Streams.Watch a5 = new Streams.Watch(a, "orders");
        awaitServing(a5);

        List.of(a1, a3, a5, b1).forEach(Streams.Watch::cancel);
        awaitReleased(node);
    }

    @Test
    void aWatchOverTheMembersCapIsRefusedWhateverItsConnection() {
        RegistryNode node = cluster.awaitLeader();
        ManagedChannel a = connect(node);
        ManagedChannel b = connect(node);
        ManagedChannel c = connect(node);
        List<Streams.Watch> open = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            open.add(new Streams.Watch(i < 3 ? a : b, "orders"));
        }
        awaitServing(open.toArray(new Streams.Watch[0]));

        Streams.Watch sixth = new Streams.Watch(c, "orders");
        await().atMost(Duration.ofSeconds(10)).until(() -> sixth.error.get() != null);
        assertStatus(sixth.error.get(), Status.Code.RESOURCE_EXHAUSTED, "max-watchers: 6 (limit 5)");
        assertThat(open).allMatch(Streams.Watch::serving);
        // the refused call gave its connection slot back
        await().atMost(Duration.ofSeconds(10)).until(() -> counted(node, WATCH) == 5);

        open.remove(0).cancel();
        await().atMost(Duration.ofSeconds(10)).until(() -> Gauges.watchers(node) == 4);
        Streams.Watch again = new Streams.Watch(c, "orders");
        awaitServing(again);

        open.forEach(Streams.Watch::cancel);
        again.cancel();
        awaitReleased(node);
    }

    @Test
    void aThirdKeepAliveStreamIsRefusedAndACompletedOneGivesItsSlotBack() {
        RegistryNode node = cluster.aFollower(); // relays to the leader: counted here, not there
        RegistryNode leader = cluster.awaitLeader();
        ManagedChannel a = connect(node);
        long lease = Api.register(a, Api.instance("billing", "b1", 8080)).getLeaseId();
        Streams.KeepAlive k1 = new Streams.KeepAlive(a).send(lease);
        Streams.KeepAlive k2 = new Streams.KeepAlive(a).send(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> k1.responses.size() == 1 && k2.responses.size() == 1);

        Streams.KeepAlive k3 = new Streams.KeepAlive(a).send(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> k3.error.get() != null);
        assertStatus(k3.error.get(), Status.Code.RESOURCE_EXHAUSTED, "max-keep-alive-streams-per-connection: 3 (limit 2)");
        assertThat(counted(node, KEEP_ALIVE)).isEqualTo(2);
        assertThat(counted(leader, KEEP_ALIVE)).isZero();

        k1.send(lease);
        k2.send(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> k1.responses.size() == 2 && k2.responses.size() == 2);
        assertThat(k1.responses).allMatch(KeepAliveResponse::getFound);

        k1.complete();
        await().atMost(Duration.ofSeconds(10)).until(() -> counted(node, KEEP_ALIVE) == 1);
        Streams.KeepAlive k4 = new Streams.KeepAlive(a).send(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> k4.responses.size() == 1);
        assertThat(k4.error.get()).isNull();

        k2.cancel();
        k4.cancel();
        awaitReleased(node);
    }

    @Test
    void streamsTheMemberFailsGiveTheirSlotsBack() {
        RegistryNode node = cluster.aFollower();
        ManagedChannel a = connect(node);
        // one after the other, more than the connection's cap: each failed stream gave its slot back
        for (int i = 0; i < 5; i++) {
            Streams.Watch failed = new Streams.Watch(a, WatchRequest.newBuilder().addServices("not a name").build(), null);
            await().atMost(Duration.ofSeconds(10)).until(() -> failed.error.get() != null);
            assertThat(Status.fromThrowable(failed.error.get()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        awaitReleased(node);
        Streams.Watch w1 = new Streams.Watch(a, "orders");
        Streams.Watch w2 = new Streams.Watch(a, "orders");
        Streams.Watch w3 = new Streams.Watch(a, "orders");
        awaitServing(w1, w2, w3);
        List.of(w1, w2, w3).forEach(Streams.Watch::cancel);
        awaitReleased(node);
    }
}
