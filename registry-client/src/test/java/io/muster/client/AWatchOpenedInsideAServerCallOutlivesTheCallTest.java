package io.muster.client;

import static io.muster.client.FakeRegistry.events;
import static io.muster.client.FakeRegistry.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.muster.api.v1.DiscoverResponse;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server handler opens a watch and returns; gRPC cancels the handler's context when the call
 * ends. The watch started from {@code Context.ROOT}, so it keeps streaming until its owner closes it.
 */
@UnitTest
class AWatchOpenedInsideAServerCallOutlivesTheCallTest {

    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void aWatchOpenedInsideAServerCallOutlivesTheCall() throws Exception {
        registry.serve("m1:1");
        client = FakeRegistryClients.inProcess("m1:1").build();
        EventLog log = new EventLog();
        CompletableFuture<Watch> opened = new CompletableFuture<>();
        CompletableFuture<Context> handlerContext = new CompletableFuture<>();
        // the "application" handler: Discover on the fake opens a watch, then completes its call
        registry.onDiscover = out -> {
            handlerContext.complete(Context.current());
            opened.complete(client.watch(Set.of("orders"), 0, log));
            out.onNext(DiscoverResponse.getDefaultInstance());
            out.onCompleted();
        };
        client.discover("anything", DiscoverFilter.all());
        Watch w = opened.get(5, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> handlerContext.get().isCancelled());

        FakeRegistry.WatchCall call = registry.watches.poll(5, TimeUnit.SECONDS);
        assertThat(call.stream().isCancelled()).isFalse();
        call.send(snapshot(1));
        call.send(events(2));
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> log.lastEventRevision() == 2);
        assertThat(log.reconnects).isZero();

        w.close();
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> call.stream().isCancelled());
    }
}
