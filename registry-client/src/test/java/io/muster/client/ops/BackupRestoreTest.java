package io.muster.client.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code muster snapshot save} from a live cluster, restored into a brand-new cluster. */
@ClusterTest
class BackupRestoreTest {

    @TempDir
    Path dir;

    @Test
    void backupOfALiveClusterRestoresIntoAFreshCluster() throws Exception {
        Path backup = dir.resolve("backup.pb");
        List<Instance> before;
        long revision;
        try (LocalCluster old = LocalCluster.start(dir.resolve("old"), 3);
             RegistryClient client = RegistryClient.builder(old.targets()).build()) {
            for (int i = 0; i < 25; i++) {
                client.registerOnce(Instance.newBuilder().setService("catalog-" + (i % 3)).setId("i" + i).setHost("10.0.0." + i)
                        .setPort(8000 + i).putMetadata("k", "v" + i).setLeaseTtlMs(3_600_000).build());
            }
            client.deregister("catalog-0", "i0");
            try (OutputStream out = Files.newOutputStream(backup)) {
                revision = client.saveSnapshot(out);
            }
            before = List.of("catalog-0", "catalog-1", "catalog-2").stream()
                    .flatMap(s -> client.discover(s, DiscoverFilter.all()).stream()).toList();
        }
        assertThat(revision).isEqualTo(26);

        try (LocalCluster fresh = LocalCluster.start(dir.resolve("new"), 3, c -> c.withRestoreFrom(backup));
             RegistryClient client = RegistryClient.builder(fresh.targets()).build()) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> fresh.nodes().stream().allMatch(n -> Gauges.revision(n) == 26));
            List<Instance> after = List.of("catalog-0", "catalog-1", "catalog-2").stream()
                    .flatMap(s -> client.discover(s, DiscoverFilter.all()).stream()).toList();
            assertThat(after).containsExactlyInAnyOrderElementsOf(before);
            // the restored cluster keeps working: new writes continue the revision sequence
            assertThat(client.registerOnce(Instance.newBuilder().setService("catalog-0").setId("new").setHost("h").setPort(1).build())
                    .getRevision()).isEqualTo(27);
            // restored leases get a fresh TTL from the new leader; members are the new cluster's
            assertThat(client.members().getMembersList()).hasSize(3)
                    .allSatisfy(m -> assertThat(fresh.targets()).contains(m.getGrpcAddress()));
        }
    }
}
