package io.muster.client;

import static io.muster.client.FakeRegistry.instance;
import static io.muster.client.FakeRegistry.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A view with a snapshot directory keeps the last live set on disk; started while the registry is
 * down it serves that set marked stale, and the first live answer replaces it.
 */
@UnitTest
class FailsafeSnapshotServesLastKnownInstancesTest {

    @TempDir
    Path dir;

    private static List<String> ids(ServiceView.Snapshot s) {
        return s.instances().stream().map(Instance::getId).toList();
    }

    @Test
    void startWithTheRegistryDownServesStaleInstancesUntilTheRegistryAnswers() throws Exception {
        // 1. a live run writes the failsafe copy
        try (FakeRegistry registry = new FakeRegistry().serve("live:1");
             RegistryClient client = FakeRegistryClients.inProcess("live:1").snapshotDir(dir).build();
             ServiceView view = client.serviceView("orders")) {
            registry.watches.poll(5, TimeUnit.SECONDS).send(snapshot(7, instance("a"), instance("b")));
            assertThat(view.whenReady().get(5, TimeUnit.SECONDS).stale()).isFalse();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(dir.resolve("orders.snapshot")));
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temp file left").containsExactly("orders.snapshot");
        }

        // 2. restart while the registry is down: the copy is served, marked stale
        List<ServiceView.Snapshot> seen = new CopyOnWriteArrayList<>();
        FakeRegistry registry = new FakeRegistry();
        try (RegistryClient client = FakeRegistryClients.inProcess("restarted:1").snapshotDir(dir).build();
             ServiceView view = client.serviceView("orders")) {
            view.addListener(seen::add);
            ServiceView.Snapshot stale = view.whenReady().get(5, TimeUnit.SECONDS);
            assertThat(stale.stale()).isTrue();
            assertThat(stale.revision()).isEqualTo(7);
            assertThat(ids(stale)).containsExactly("a", "b");
            assertThat(view.routable()).hasSize(2);

            // 3. the registry comes up: the live set replaces the stale one
            registry.serve("restarted:1");
            FakeRegistry.WatchCall call = registry.watches.poll(10, TimeUnit.SECONDS);
            assertThat(call).as("the view kept retrying").isNotNull();
            call.send(snapshot(9, instance("b")));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !view.snapshot().stale());
            assertThat(ids(view.snapshot())).containsExactly("b");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty() && !seen.get(seen.size() - 1).stale());
            assertThat(seen.get(0).stale()).isTrue();
        } finally {
            registry.close();
        }
    }

    @Test
    void withoutASnapshotDirectoryAnUnreachableRegistryLeavesTheViewNotReady() {
        try (RegistryClient client = FakeRegistryClients.inProcess("nobody:1").build();
             ServiceView view = client.serviceView("orders")) {
            Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !view.whenReady().isDone());
            assertThat(view.snapshot().instances()).isEmpty();
        }
    }
}
