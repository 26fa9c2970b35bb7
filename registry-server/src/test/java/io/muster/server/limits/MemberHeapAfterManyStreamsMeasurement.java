package io.muster.server.limits;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.WatchRequest;
import io.muster.server.testing.Api;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member's own heap and RSS (a separate process, {@code -Xmx256m -XX:+UseSerialGC}) before,
 * during and after 10,000 Watch + 10,000 KeepAlive streams on it. A measurement for
 * docs/benchmarks.md, not part of the suite: run with
 * {@code -Dtest=MemberHeapAfterManyStreamsMeasurement -Dmuster.measure=true}. Live heap is jcmd's
 * {@code GC.class_histogram} total (it runs a full GC first).
 */
@EnabledIfSystemProperty(named = "muster.measure", matches = "true")
@ProcessTest
class MemberHeapAfterManyStreamsMeasurement {

    static final int STREAMS = Integer.getInteger("muster.streams", 10_000);
    static final int CONNECTIONS = 20;

    @TempDir
    Path dir;

    @Test
    void measure() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader(Duration.ofSeconds(60)).id();
            long pid = cluster.pid(leader);
            List<ManagedChannel> channels = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                channels.add(NettyChannelBuilder.forTarget(cluster.member(leader).grpcAddress()).usePlaintext().build());
            }
            try {
                long lease = Api.register(channels.get(0), Api.instance("mem", "m1", 8080)).getLeaseId();
                channels.forEach(ch -> Api.discover(ch, "mem", Consistency.LOCAL));
                for (int round = 1; round <= 2; round++) {
                    Sample before = sample(pid);
                    AtomicInteger watching = new AtomicInteger();
                    AtomicInteger answered = new AtomicInteger();
                    List<Streams.Watch> watches = new ArrayList<>();
                    List<Streams.KeepAlive> keepAlives = new ArrayList<>();
                    WatchRequest request = WatchRequest.newBuilder().addServices("mem").build();
                    for (int i = 0; i < STREAMS; i++) {
                        watches.add(new Streams.Watch(channels.get(i % CONNECTIONS), request, watching));
                        keepAlives.add(new Streams.KeepAlive(channels.get(i % CONNECTIONS), answered).send(lease));
                        if ((i + 1) % 1000 == 0) {
                            int open = i + 1;
                            await().atMost(Duration.ofSeconds(120)).until(() -> watching.get() == open && answered.get() == open);
                        }
                    }
                    Sample during = sample(pid);
                    for (int i = 0; i < STREAMS; i++) {
                        watches.get(i).cancel();
                        if (i % 2 == 0) {
                            keepAlives.get(i).complete();
                        } else {
                            keepAlives.get(i).cancel();
                        }
                    }
                    await().atMost(Duration.ofSeconds(60)).until(() -> watches.stream().allMatch(w -> w.error.get() != null)
                            && keepAlives.stream().allMatch(k -> k.error.get() != null || k.responses.size() == 1));
                    // the member learns of the cancellations a little after the client
                    Api.discover(channels.get(0), "mem", Consistency.LINEARIZABLE);
                    long closed = System.nanoTime();
                    Sample after = sample(pid);
                    // then until the member has handled every cancellation: within 2 MB of before
                    Sample settled = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                            .until(() -> sample(pid), x -> x.liveBytes() < before.liveBytes() + 2 * 1048576);
                    System.out.printf("member %s, round %d, %d Watch + %d KeepAlive streams on %d connections:%n"
                            + "  before   %s%n  during   %s%n  after    %s%n  settled  %s (%d ms after closing)%n", leader, round,
                            STREAMS, STREAMS, CONNECTIONS, before, during, after, settled, (System.nanoTime() - closed) / 1_000_000);
                }
            } finally {
                channels.forEach(ManagedChannel::shutdownNow);
            }
        }
    }

    /** Live heap after a full GC and the process's RSS. */
    record Sample(long liveBytes, long rssKb) {
        @Override
        public String toString() {
            return String.format("live heap %.1f MB, RSS %.1f MB", liveBytes / 1048576.0, rssKb / 1024.0);
        }
    }

    private static Sample sample(long pid) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        String total = out.lines().filter(l -> l.startsWith("Total")).findFirst().orElse("Total ? ?");
        long liveBytes = Long.parseLong(total.trim().split("\\s+")[2]);
        return new Sample(liveBytes, rssKb(pid));
    }

    private static long rssKb(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
