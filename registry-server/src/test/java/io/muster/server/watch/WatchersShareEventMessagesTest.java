package io.muster.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Watchers with the same filter at the same position send one shared EVENTS instance; a different
 * filter or a different position never gets that instance.
 */
@UnitTest
class WatchersShareEventMessagesTest {

    final Catalog catalog = new Catalog();
    final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    // drains run on the caller (the apply path here), so every assertion sees a settled state
    final WatchHub hub = new WatchHub(catalog, 1024, Runnable::run, 2, scheduler, System::nanoTime, "n1", 100);

    WatchersShareEventMessagesTest() {
        catalog.addListener(hub);
    }

    @AfterEach
    void stop() {
        hub.close();
        scheduler.shutdownNow();
    }

    static final class Recorder implements WatchSink {
        final List<WatchResponse> events = new CopyOnWriteArrayList<>();

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void send(WatchResponse response) {
            if (response.getKind() == WatchResponse.Kind.EVENTS) {
                events.add(response);
            }
        }

        @Override
        public void complete() {
        }
    }

    long register(String service, String id) {
        return catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService(service).setId(id).setHost("h").setPort(1).setLeaseTtlMs(5000))).build()).revision();
    }

    Recorder watch(Set<String> services, long from) {
        Recorder r = new Recorder();
        hub.open(services.isEmpty() ? "*" : "default", services, from, 60_000, r);
        return r;
    }

    @Test
    void sameFilterSamePositionSendsOneInstance() {
        Recorder a = watch(Set.of("svc"), 1);
        Recorder b = watch(Set.of("svc"), 1);
        register("svc", "i1");
        register("svc", "i2");

        assertThat(a.events).hasSize(2);
        assertThat(b.events).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(b.events.get(i)).isSameAs(a.events.get(i));
        }
        assertThat(a.events).flatExtracting(WatchResponse::getEventsList).extracting(Event::getRevision).containsExactly(1L, 2L);
        assertThat(hub.batches().hits()).isEqualTo(2);
    }

    @Test
    void differentFiltersNeverShareAnInstance() {
        Recorder svc = watch(Set.of("svc"), 1);
        Recorder both = watch(Set.of("svc", "other"), 1);
        Recorder everything = watch(Set.of(), 1);
        Recorder other = watch(Set.of("other"), 1);
        register("svc", "i1");
        register("other", "o1");

        assertThat(svc.events).singleElement().satisfies(r -> assertThat(r.getEventsList()).extracting(e -> e.getInstance().getId()).containsExactly("i1"));
        assertThat(other.events).singleElement().satisfies(r -> assertThat(r.getEventsList()).extracting(e -> e.getInstance().getId()).containsExactly("o1"));
        assertThat(both.events).hasSize(2);
        assertThat(everything.events).hasSize(2);
        // equal content, separate instances: sharing is by filter, not by coincidence of content
        assertThat(both.events.get(0)).isEqualTo(svc.events.get(0)).isNotSameAs(svc.events.get(0));
        assertThat(everything.events.get(0)).isEqualTo(svc.events.get(0)).isNotSameAs(svc.events.get(0)).isNotSameAs(both.events.get(0));
        assertThat(everything.events.get(1)).isNotSameAs(both.events.get(1)).isNotSameAs(other.events.get(0));
    }

    @Test
    void aWatcherBehindGetsItsOwnBatch() {
        register("svc", "i1");
        register("svc", "i2");
        Recorder behind = watch(Set.of("svc"), 1);
        Recorder current = watch(Set.of("svc"), 2);

        assertThat(behind.events).singleElement().satisfies(r -> assertThat(r.getEventsList()).extracting(Event::getRevision).containsExactly(1L, 2L));
        assertThat(current.events).singleElement().satisfies(r -> assertThat(r.getEventsList()).extracting(Event::getRevision).containsExactly(2L));
        assertThat(current.events.get(0)).isNotSameAs(behind.events.get(0));
        assertThat(hub.batches().hits()).isZero();
    }

    @Test
    void aRangeWithoutMatchesAdvancesWithoutSending() {
        Recorder a = watch(Set.of("svc"), 1);
        Recorder b = watch(Set.of("svc"), 1);
        register("other", "o1");
        register("svc", "i1");

        assertThat(a.events).singleElement().satisfies(r -> {
            assertThat(r.getRevision()).isEqualTo(2);
            assertThat(r.getEventsList()).extracting(Event::getRevision).containsExactly(2L);
        });
        assertThat(b.events).singleElement().isSameAs(a.events.get(0));
    }

    @Test
    void fanOutOnAPoolDeliversEveryEventToEveryWatcherInOrder() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        WatchHub pooled = new WatchHub(catalog, 1024, pool, 2, scheduler, System::nanoTime, "n1", 1000);
        catalog.addListener(pooled);
        try {
            List<Recorder> watchers = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Recorder r = new Recorder();
                pooled.open(i % 3 == 0 ? "*" : "default", i % 3 == 0 ? Set.of() : Set.of("svc"), 1, 60_000, r);
                watchers.add(r);
            }
            for (int i = 0; i < 50; i++) {
                register("svc", "i" + i);
            }
            List<Long> all = LongStream.rangeClosed(1, 50).boxed().toList();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(watchers).allSatisfy(r ->
                    assertThat(r.events).flatExtracting(WatchResponse::getEventsList).extracting(Event::getRevision).containsExactlyElementsOf(all)));
        } finally {
            pooled.close();
            pool.shutdownNow();
        }
    }

    /** A sink whose stream lives on {@code loop} (a Netty event loop in production). */
    static final class LoopRecorder implements WatchSink {
        final List<WatchResponse> events = new CopyOnWriteArrayList<>();
        final java.util.concurrent.Executor loop;
        final Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        LoopRecorder(java.util.concurrent.Executor loop) {
            this.loop = loop;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void send(WatchResponse response) {
            threads.add(Thread.currentThread());
            if (response.getKind() == WatchResponse.Kind.EVENTS) {
                events.add(response);
            }
        }

        @Override
        public void complete() {
        }

        @Override
        public java.util.concurrent.Executor executor() {
            return loop;
        }
    }

    @Test
    void watchersDrainOnTheirStreamsLoopsAndAStalledLoopDelaysOnlyItsOwn() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        ExecutorService[] loops = {Executors.newSingleThreadExecutor(), Executors.newSingleThreadExecutor()};
        java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
        WatchHub looped = new WatchHub(catalog, 1024, pool, 2, scheduler, System::nanoTime, "n1", 1000);
        catalog.addListener(looped);
        try {
            List<LoopRecorder> onFirst = new ArrayList<>();
            List<LoopRecorder> onSecond = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                LoopRecorder r = new LoopRecorder(loops[i % 2]);
                looped.open(i % 3 == 0 ? "*" : "default", i % 3 == 0 ? Set.of() : Set.of("svc"), 1, 60_000, r);
                (i % 2 == 0 ? onFirst : onSecond).add(r);
            }
            Thread firstLoop = loops[0].submit(Thread::currentThread).get();
            java.util.concurrent.CompletableFuture<Thread> stalled = new java.util.concurrent.CompletableFuture<>();
            loops[1].execute(() -> {
                stalled.complete(Thread.currentThread());
                try {
                    stall.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // open() queued a drain of each watcher on its loop; the stall is in place only once
            // the loop has run those and entered the stall task, else on a loaded machine those
            // drains run after the first events are applied and send them before the stall
            Thread secondLoop = stalled.get(10, java.util.concurrent.TimeUnit.SECONDS);
            for (int i = 0; i < 50; i++) {
                register("svc", "i" + i);
            }
            List<Long> all = LongStream.rangeClosed(1, 50).boxed().toList();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(onFirst).allSatisfy(r ->
                    assertThat(r.events).flatExtracting(WatchResponse::getEventsList).extracting(Event::getRevision).containsExactlyElementsOf(all)));
            assertThat(onFirst).allSatisfy(r -> assertThat(r.threads).containsExactly(firstLoop));
            assertThat(onSecond).allSatisfy(r -> assertThat(r.events).isEmpty());

            stall.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(onSecond).allSatisfy(r ->
                    assertThat(r.events).flatExtracting(WatchResponse::getEventsList).extracting(Event::getRevision).containsExactlyElementsOf(all)));
            assertThat(onSecond).allSatisfy(r -> assertThat(r.threads).containsExactly(secondLoop));
        } finally {
            stall.countDown();
            looped.close();
            pool.shutdownNow();
            loops[0].shutdownNow();
            loops[1].shutdownNow();
        }
    }

    @Test
    void resetForgetsSharedBatches() {
        watch(Set.of("svc"), 1);
        register("svc", "i1");
        long misses = hub.batches().misses();
        catalog.restore(catalog.snapshot());

        // a lookup of the batch stored before the reset misses
        assertThat(hub.batches().get(Set.of("svc"), Set.of("svc").hashCode(), 1, 1)).isNull();
        assertThat(hub.batches().misses()).isEqualTo(misses + 1);
    }
}
