package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that restarts from a snapshot covering its whole log has nothing to apply: its applied
 * index is the snapshot's, so {@code /readyz} ("applied about up to the commit index") says ready
 * without waiting for the next write. Before, the applied index stayed 0 until a new entry came, and
 * a member restarted on an idle cluster was never ready (found by {@code ScaleBench}).
 */
@ClusterTest
class AMemberRestartedFromASnapshotWithNothingAfterItIsReadyTest {

    @TempDir
    Path dir;

    @Test
    void itsAppliedIndexIsTheSnapshotsAfterTheRestart() {
        try (LocalCluster cluster = LocalCluster.start(dir, 3)) {
            RegistryNode leader = cluster.awaitLeader();
            for (int i = 0; i < 10; i++) {
                Instance in = Api.instance("idle", "i" + i, 7000 + i).toBuilder().setLeaseTtlMs(600_000).build();
                Api.register(cluster.channel(leader.id()), in);
            }
            String follower = cluster.aFollower().id();
            Api.snapshot(cluster.channel(follower), true);
            long covered = Gauges.appliedIndex(cluster.node(follower));
            assertThat(covered).isPositive();

            cluster.stopNode(follower);
            cluster.startNode(follower);
            RegistryNode restarted = cluster.node(follower);
            Awaitility.await("applied index of the restarted member").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> {
                        assertThat(Gauges.appliedIndex(restarted)).isGreaterThanOrEqualTo(covered);
                        assertThat(Gauges.appliedIndex(restarted)).isEqualTo(Gauges.commitIndex(restarted));
                    });
            assertThat(Gauges.revision(restarted)).isEqualTo(Gauges.revision(leader));
        }
    }
}
