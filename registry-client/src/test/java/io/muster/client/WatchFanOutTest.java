package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** 1,000 watchers on one member all get every event; a stalled watcher delays nobody. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class WatchFanOutTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    RegistryClient client;

    @BeforeAll
    void start() {
        client = RegistryClient.builder(cluster.targets()).build();
    }

    @AfterAll
    void stop() {
        client.close();
    }

    /** Counts events of a raw stream; never stalls. */
    static final class Counter implements StreamObserver<WatchResponse> {
        final AtomicLong events = new AtomicLong();
        final AtomicLong lastRevision = new AtomicLong();

        @Override
        public void onNext(WatchResponse r) {
            events.addAndGet(r.getEventsCount());
            if (r.getEventsCount() > 0) {
                lastRevision.set(r.getEvents(r.getEventsCount() - 1).getRevision());
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    private static Instance inst(String svc, int i) {
        return Instance.newBuilder().setService(svc).setId("i" + i).setHost("127.0.0.1").setPort(1000 + i)
                .putMetadata("padding", svc.equals("stall") ? "x".repeat(1000) : "").setLeaseTtlMs(600_000).build();
    }

    @Test
    void thousandWatchersOnOneMemberReceiveEveryEvent() {
        String member = cluster.aFollower().id();
        long from = client.registerOnce(inst("fanout", 0)).getRevision() + 1;
        List<Counter> watchers = new ArrayList<>();
        // a connection of their own: 1,000 is exactly the member's watch streams per connection, and
        // the class's other test watches on the shared channel
        ManagedChannel own = NettyChannelBuilder.forTarget(cluster.spec(member).grpcAddress()).usePlaintext().build();
        try {
            var stub = RegistryGrpc.newStub(own);
            int before = Gauges.watchers(cluster.node(member));
            for (int i = 0; i < 1000; i++) {
                Counter c = new Counter();
                stub.watch(WatchRequest.newBuilder().addServices("fanout").setStartRevision(from).build(), c);
                watchers.add(c);
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Gauges.watchers(cluster.node(member)) >= before + 1000);
            long last = 0;
            for (int i = 1; i <= 100; i++) {
                last = client.registerOnce(inst("fanout", i)).getRevision();
            }
            long lastRevision = last;
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> watchers.stream().allMatch(w -> w.lastRevision.get() == lastRevision));
            assertThat(watchers).allSatisfy(w -> assertThat(w.events.get()).isEqualTo(100));
        } finally {
            own.shutdownNow();
        }
    }

    @Test
    void stalledWatcherDoesNotDelayTheOthersAndCatchesUpLater() {
        String member = cluster.aFollower().id();
        long from = client.registerOnce(inst("stall", 0)).getRevision() + 1;
        AtomicReference<ClientCallStreamObserver<WatchRequest>> stalledCall = new AtomicReference<>();
        AtomicLong stalledEvents = new AtomicLong();
        AtomicLong stalledLast = new AtomicLong();
        RegistryGrpc.newStub(cluster.channel(member)).watch(WatchRequest.newBuilder().addServices("stall").setStartRevision(from).build(),
                new ClientResponseObserver<WatchRequest, WatchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                        requestStream.disableAutoRequestWithInitial(1);
                        stalledCall.set(requestStream);
                    }

                    @Override
                    public void onNext(WatchResponse r) {
                        // takes one message and then reads nothing until told
                        stalledEvents.addAndGet(r.getEventsCount());
                        if (r.getEventsCount() > 0) {
                            stalledLast.set(r.getEvents(r.getEventsCount() - 1).getRevision());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        Counter healthy = new Counter();
        RegistryGrpc.newStub(cluster.channel(member)).watch(WatchRequest.newBuilder().addServices("stall").setStartRevision(from).build(), healthy);

        // 2,000 events of ~1 KB: more than the stalled stream's 1 MB flow-control window
        long last = 0;
        for (int i = 1; i <= 2000; i++) {
            last = client.registerOnce(inst("stall", i)).getRevision();
        }
        long lastRevision = last;
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> healthy.lastRevision.get() == lastRevision);
        assertThat(healthy.events.get()).isEqualTo(2000);
        assertThat(stalledLast.get()).as("the stalled watcher is still far behind").isLessThan(lastRevision);

        // once it reads again it catches up from history, exactly once
        stalledCall.get().request(Integer.MAX_VALUE);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> stalledLast.get() == lastRevision);
        assertThat(stalledEvents.get()).isEqualTo(2000);
    }
}
