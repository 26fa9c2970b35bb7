package io.muster.server.limits;

import static io.muster.server.limits.Streams.KEEP_ALIVE;
import static io.muster.server.limits.Streams.WATCH;
import static io.muster.server.limits.Streams.connections;
import static io.muster.server.limits.Streams.counted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.WatchRequest;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 10,000 Watch and 10,000 KeepAlive streams on one member (20 connections, within the default
 * per-connection limits), then closed (cancelled, completed): the member's counts return to 0 and
 * the heap after a full GC returns to about where it was. Prints the heap figures recorded in
 * docs/benchmarks.md; {@code -Dmuster.streams=N} changes the count.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class ManyStreamsAreReleasedWhenClosedTest {

    static final int STREAMS = Integer.getInteger("muster.streams", 10_000);
    static final int CONNECTIONS = 20;
    static final int BATCH = 1_000;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    final List<ManagedChannel> channels = new ArrayList<>();

    @AfterAll
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
    }

    private static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    @Test
    void tenThousandWatchAndKeepAliveStreamsAreReleasedWhenClosed() {
        RegistryNode node = cluster.awaitLeader(); // keep-alives are served there, not relayed
        for (int i = 0; i < CONNECTIONS; i++) {
            channels.add(NettyChannelBuilder.forTarget(node.grpcAddress()).usePlaintext().build());
        }
        long lease = Api.register(channels.get(0), Api.instance("mem", "m1", 8080)).getLeaseId();
        channels.forEach(ch -> Api.discover(ch, "mem", io.muster.api.v1.Consistency.LOCAL)); // connected
        long before = heapAfterGc();

        WatchRequest request = WatchRequest.newBuilder().addServices("mem").build();
        AtomicInteger watching = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        List<Streams.Watch> watches = new ArrayList<>();
        List<Streams.KeepAlive> keepAlives = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < STREAMS; i++) {
            watches.add(new Streams.Watch(channels.get(i % CONNECTIONS), request, watching));
            keepAlives.add(new Streams.KeepAlive(channels.get(i % CONNECTIONS), answered).send(lease));
            if ((i + 1) % BATCH == 0) {
                int open = i + 1;
                await().atMost(Duration.ofSeconds(60)).until(() -> watching.get() == open && answered.get() == open);
            }
        }
        long openedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(Gauges.watchers(node)).isEqualTo(STREAMS);
        assertThat(counted(node, WATCH)).isEqualTo(STREAMS);
        assertThat(counted(node, KEEP_ALIVE)).isEqualTo(STREAMS);
        assertThat(connections(node)).isEqualTo(CONNECTIONS);
        long during = heapAfterGc();

        for (int i = 0; i < STREAMS; i++) {
            watches.get(i).cancel();
            if (i % 2 == 0) {
                keepAlives.get(i).complete();
            } else {
                keepAlives.get(i).cancel();
            }
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(Gauges.watchers(node)).isZero();
            assertThat(counted(node, WATCH)).isZero();
            assertThat(counted(node, KEEP_ALIVE)).isZero();
            assertThat(connections(node)).isZero();
        });
        watches.clear();
        keepAlives.clear();
        long after = heapAfterGc();
        System.out.printf("ManyStreamsAreReleasedWhenClosedTest: %d Watch + %d KeepAlive streams on %d connections, opened in %d ms;"
                        + " heap used after full GC (client and 3 members in this JVM): before %.1f MB, during %.1f MB (+%.1f),"
                        + " after %.1f MB (%+.1f)%n", STREAMS, STREAMS, CONNECTIONS, openedMs, mb(before), mb(during),
                mb(during - before), mb(after), mb(after - before));
        // the streams' memory is returned: what stays is far less than what they held
        assertThat(after - before).isLessThan((during - before) / 4);
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
