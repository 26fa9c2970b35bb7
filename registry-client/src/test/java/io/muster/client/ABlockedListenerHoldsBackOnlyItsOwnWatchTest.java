package io.muster.client;

import static io.muster.client.FakeRegistry.events;
import static io.muster.client.FakeRegistry.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener that blocks does not block its stream's transport (the server's sends return, the
 * watch keeps reading) nor other watches of the same client; its own events wait, in order.
 */
@UnitTest
class ABlockedListenerHoldsBackOnlyItsOwnWatchTest {

    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void aListenerThatBlocksDoesNotBlockTheTransportOrOtherWatches() throws Exception {
        registry.serve("m1:1");
        // default callback executor; in-process transport on direct executors, so a listener run
        // on the transport would block the server's send below
        client = FakeRegistryClients.inProcess("m1:1").build();
        CountDownLatch release = new CountDownLatch(1);
        EventLog slowLog = new EventLog();
        Watch slow = client.watch(Set.of("slow"), 0, new WatchListener() {
            @Override
            public void onSnapshot(List<Instance> instances, long revision) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                slowLog.onSnapshot(instances, revision);
            }

            @Override
            public void onEvents(List<Event> events) {
                slowLog.onEvents(events);
            }
        });
        FakeRegistry.WatchCall slowCall = registry.watches.poll(5, TimeUnit.SECONDS);
        EventLog fastLog = new EventLog();
        Watch fast = client.watch(Set.of("fast"), 0, fastLog);
        FakeRegistry.WatchCall fastCall = registry.watches.poll(5, TimeUnit.SECONDS);

        CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> {
            slowCall.send(snapshot(10));
            slowCall.send(events(11, 12));
        });
        sends.get(2, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> slow.lastRevision() == 12);

        fastCall.send(snapshot(20));
        fastCall.send(events(21));
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> fastLog.lastEventRevision() == 21);
        assertThat(slowLog.snapshots()).isEmpty();

        release.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> slowLog.lastEventRevision() == 12);
        assertThat(slowLog.snapshots()).containsExactly(10L);
        assertThat(slowLog.events()).extracting(Event::getRevision).containsExactly(11L, 12L);
        slow.close();
        fast.close();
    }
}
