package io.muster.client.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RestoreResponse;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Cluster.Restore} ({@code muster snapshot restore}): a backup loads into a running cluster
 * that is still empty, maintenance flags included, and is refused once the cluster holds anything,
 * changing nothing. A file that is not a backup is refused as invalid.
 */
@ClusterTest
class AnOnlineRestoreLoadsABackupOnlyIntoAnEmptyClusterTest {

    @TempDir
    Path dir;

    static List<Instance> all(RegistryClient client) {
        return client.listServices().stream().flatMap(s -> client.discover(s.getName(), DiscoverFilter.all()).stream()).toList();
    }

    @Test
    void aBackupLoadsIntoAnEmptyClusterAndIsRefusedOnANonEmptyOne() throws Exception {
        ByteArrayOutputStream backup = new ByteArrayOutputStream();
        List<Instance> before;
        long revision;
        try (LocalCluster old = LocalCluster.start(dir.resolve("old"), 3);
             RegistryClient client = RegistryClient.builder(old.targets()).build()) {
            for (int i = 0; i < 12; i++) {
                client.registerOnce(Instance.newBuilder().setService("svc-" + (i % 2)).setId("i" + i).setHost("10.0.0." + i)
                        .setPort(8000 + i).setLeaseTtlMs(3_600_000).build());
            }
            client.setMaintenance("svc-0", "i0", true, "in the backup");
            revision = client.saveSnapshot(backup);
            before = all(client);
        }
        assertThat(revision).isEqualTo(13);

        try (LocalCluster fresh = LocalCluster.start(dir.resolve("new"), 3);
             RegistryClient client = RegistryClient.builder(fresh.targets()).build()) {
            assertThatThrownBy(() -> client.restoreSnapshot("not a backup".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

            RestoreResponse r = client.restoreSnapshot(backup.toByteArray());
            assertThat(r.getRevision()).isEqualTo(13);
            assertThat(r.getInstances()).isEqualTo(12);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fresh.nodes().stream().allMatch(n -> Gauges.revision(n) == 13));
            assertThat(all(client)).containsExactlyInAnyOrderElementsOf(before);
            assertThat(client.discover("svc-0", DiscoverFilter.all())).filteredOn(i -> i.getId().equals("i0")).singleElement()
                    .satisfies(i -> assertThat(i.getMaintenanceReason()).isEqualTo("in the backup"));

            // the cluster is no longer empty: a second restore is refused and changes nothing
            client.registerOnce(Instance.newBuilder().setService("svc-1").setId("after").setHost("h").setPort(1).build());
            assertThatThrownBy(() -> client.restoreSnapshot(backup.toByteArray()))
                    .satisfies(e -> {
                        Status s = Status.fromThrowable(e);
                        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(s.getDescription()).isEqualTo("restore: catalog at revision 14 (expected: an empty catalog (revision 0))");
                    });
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fresh.nodes().stream().allMatch(n -> Gauges.revision(n) == 14));
            assertThat(all(client)).hasSize(13);
        }
    }
}
