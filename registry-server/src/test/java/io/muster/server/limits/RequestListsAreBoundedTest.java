package io.muster.server.limits;

import static io.muster.server.limits.Streams.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.grpc.Status;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.WatchRequest;
import io.muster.server.config.Limits;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Watch naming more services than {@code max-watch-services} is RESOURCE_EXHAUSTED; Discover
 * filters longer than an instance can hold (32 tags, 64 metadata entries) are INVALID_ARGUMENT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class RequestListsAreBoundedTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withLimits(Limits.builder().maxWatchServices(3).build()));

    @Test
    void aWatchOfTooManyServicesIsRefusedAndOneAtTheLimitIsServed() {
        Channel ch = cluster.channel(cluster.aFollower().id());
        Streams.Watch over = new Streams.Watch(ch, WatchRequest.newBuilder().addServices("a").addServices("b")
                .addServices("c").addServices("d").build(), null);
        Streams.Watch at = new Streams.Watch(ch, WatchRequest.newBuilder().addServices("a").addServices("b")
                .addServices("c").build(), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> over.error.get() != null && at.serving());
        assertStatus(over.error.get(), Status.Code.RESOURCE_EXHAUSTED, "max-watch-services: 4 (limit 3)");
        at.cancel();
    }

    @Test
    void discoverFiltersLongerThanAnInstanceHoldsAreInvalid() {
        Channel ch = cluster.channel(cluster.aFollower().id());
        Api.register(ch, Api.instance("orders", "o1", 8080).toBuilder().addTags("blue").putMetadata("v", "1").build());
        DiscoverRequest.Builder tags = DiscoverRequest.newBuilder().setService("orders");
        IntStream.range(0, 33).forEach(i -> tags.addTags("t" + i));
        assertStatus(() -> Api.registry(ch).discover(tags.build()), Status.Code.INVALID_ARGUMENT,
                "tags: 33 tags (expected: at most 32)");
        DiscoverRequest.Builder metadata = DiscoverRequest.newBuilder().setService("orders");
        IntStream.range(0, 65).forEach(i -> metadata.putMetadata("k" + i, "v"));
        assertStatus(() -> Api.registry(ch).discover(metadata.build()), Status.Code.INVALID_ARGUMENT,
                "metadata: 65 entries (expected: at most 64)");
        DiscoverRequest.Builder many = DiscoverRequest.newBuilder().setService("orders");
        IntStream.range(0, 100_000).forEach(i -> many.addTags("t" + i));
        assertStatus(() -> Api.registry(ch).discover(many.build()), Status.Code.INVALID_ARGUMENT,
                "tags: 100000 tags (expected: at most 32)");
        // at the maxima the filters are served
        assertThat(Api.registry(ch).discover(DiscoverRequest.newBuilder().setService("orders").addTags("blue")
                .putMetadata("v", "1").build()).getInstancesCount()).isEqualTo(1);
    }
}
