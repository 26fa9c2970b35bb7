package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Resume from a revision on another member gives the same events; an old revision is answered COMPACTED. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class WatchResumeAndCompactionTest {

    static final int HISTORY = 64;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withHistorySize(HISTORY));
    RegistryClient client;

    @BeforeAll
    void start() {
        client = RegistryClient.builder(cluster.targets()).build();
    }

    @AfterAll
    void stop() {
        client.close();
    }

    private static Instance inst(String svc, String id) {
        return Instance.newBuilder().setService(svc).setId(id).setHost("127.0.0.1").setPort(1000).setLeaseTtlMs(600_000).build();
    }

    private static List<Event> readEvents(ManagedChannel ch, String service, long from, int count) {
        Iterator<WatchResponse> it = RegistryGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
                .watch(WatchRequest.newBuilder().addServices(service).setStartRevision(from).build());
        List<Event> out = new ArrayList<>();
        while (out.size() < count) {
            WatchResponse r = it.next();
            assertThat(r.getKind()).isIn(WatchResponse.Kind.EVENTS, WatchResponse.Kind.PROGRESS);
            out.addAll(r.getEventsList());
        }
        // a stream may deliver more than asked in one message: the caller "saw" exactly count events
        return List.copyOf(out.subList(0, count));
    }

    @Test
    void resumingOnAnotherMemberContinuesWithNoGapAndNoDuplicate() {
        long base = client.registerOnce(inst("resume", "r0")).getRevision();
        for (int i = 1; i < 20; i++) {
            client.registerOnce(inst("resume", "r" + i));
        }
        // the whole sequence read in one go on n1
        List<Event> continuous = readEvents(cluster.channel("n1"), "resume", base, 20);
        // the first half on n2, then resume on n3 from the last seen revision + 1
        List<Event> firstHalf = readEvents(cluster.channel("n2"), "resume", base, 10);
        long last = firstHalf.get(firstHalf.size() - 1).getRevision();
        List<Event> rest = readEvents(cluster.channel("n3"), "resume", last + 1, 10);
        List<Event> stitched = new ArrayList<>(firstHalf);
        stitched.addAll(rest);
        assertThat(stitched).isEqualTo(continuous);
    }

    @Test
    void startRevisionOlderThanHistoryIsAnsweredCompactedAndTheClientResyncs() {
        long first = client.registerOnce(inst("compact", "c0")).getRevision();
        for (int i = 1; i < HISTORY * 2; i++) {
            client.registerOnce(inst("compact", "c" + (i % 10)));
        }
        Iterator<WatchResponse> it = RegistryGrpc.newBlockingStub(cluster.channel("n2")).withDeadlineAfter(10, TimeUnit.SECONDS)
                .watch(WatchRequest.newBuilder().addServices("compact").setStartRevision(first).build());
        WatchResponse r = it.next();
        assertThat(r.getKind()).isEqualTo(WatchResponse.Kind.COMPACTED);
        assertThat(r.getCompactRevision()).isGreaterThan(first);
        assertThat(it.hasNext()).as("stream ends after COMPACTED").isFalse();

        // the client library turns that into a fresh snapshot, then follows live events
        EventLog log = new EventLog();
        try (Watch w = client.watch(Set.of("compact"), first, log)) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !log.snapshots().isEmpty());
            // the snapshot comes from whichever member serves it (it may lag by a write or two:
            // those then follow as events after the snapshot's revision)
            assertThat(log.snapshotContents.get(0)).hasSize(10);
            long after = client.registerOnce(inst("compact", "c-new")).getRevision();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> log.lastEventRevision() == after);
            long snapshotRevision = log.snapshots().get(0);
            assertThat(log.events()).allSatisfy(e -> assertThat(e.getRevision()).isGreaterThan(snapshotRevision));
            assertThat(log.events().get(log.events().size() - 1).getInstance().getId()).isEqualTo("c-new");
        }
    }
}
