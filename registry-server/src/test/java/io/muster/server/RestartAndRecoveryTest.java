package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.Instance;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery from snapshot + RocksDB log: a restarted node catches up; a full restart keeps state. */
@ClusterTest
class RestartAndRecoveryTest {

    @TempDir
    Path dir;

    private static Instance ttl(Instance i) {
        return i.toBuilder().setLeaseTtlMs(600_000).build();
    }

    @Test
    void stoppedFollowerCatchesUpAndFullRestartKeepsState() {
        try (LocalCluster cluster = LocalCluster.start(dir, 3)) {
            String follower = cluster.aFollower().id();
            String other = cluster.ids().stream().filter(id -> !id.equals(follower)).findFirst().orElseThrow();
            for (int i = 0; i < 20; i++) {
                Api.register(cluster.channel(other), ttl(Api.instance("inventory", "a" + i, 5000 + i)));
            }
            cluster.stopNode(follower);
            for (int i = 0; i < 20; i++) {
                Api.register(cluster.channel(other), ttl(Api.instance("inventory", "b" + i, 6000 + i)));
            }
            Api.deregister(cluster.channel(other), "inventory", "a0");
            long revision = Api.discover(cluster.channel(other), "inventory", Consistency.LINEARIZABLE).getRevision();

            cluster.startNode(follower);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Gauges.revision(cluster.node(follower))).isEqualTo(revision));
            DiscoverResponse onFollower = Api.discover(cluster.channel(follower), "inventory", Consistency.LOCAL);
            assertThat(onFollower.getInstancesCount()).isEqualTo(39);

            // everything down, everything up: state comes back from the RocksDB log
            for (String id : cluster.ids()) {
                cluster.stopNode(id);
            }
            for (String id : cluster.ids()) {
                cluster.startNode(id);
            }
            cluster.awaitLeader();
            DiscoverResponse after = Api.discover(cluster.channel(follower), "inventory", Consistency.LINEARIZABLE);
            assertThat(after.getInstancesList()).containsExactlyInAnyOrderElementsOf(onFollower.getInstancesList());
            assertThat(after.getRevision()).isGreaterThanOrEqualTo(revision);
        }
    }

    @Test
    void followerBehindTwoSnapshotsCatchesUpBySnapshotInstall() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3)) {
            String follower = cluster.aFollower().id();
            cluster.stopNode(follower);
            RegistryNode leader = cluster.awaitLeader();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 30; i++) {
                    Api.register(cluster.channel(leader.id()), ttl(Api.instance("ledger", "r" + round + "-" + i, 7000 + i)));
                }
                // jraft truncates the log up to the previous snapshot: two snapshots force an install
                Api.snapshot(cluster.channel(leader.id()), true);
            }
            Api.register(cluster.channel(leader.id()), ttl(Api.instance("ledger", "tail", 7999)));
            long revision = Gauges.revision(leader);
            Path followerSnapshots = dir.resolve(follower).resolve("raft").resolve("snapshot");
            try (Stream<Path> s = Files.list(followerSnapshots)) {
                assertThat(s.filter(p -> p.getFileName().toString().startsWith("snapshot_"))).isEmpty();
            }

            cluster.startNode(follower);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Gauges.revision(cluster.node(follower))).isEqualTo(revision));
            assertThat(Api.discover(cluster.channel(follower), "ledger", Consistency.LOCAL).getInstancesCount()).isEqualTo(61);
            // the follower never took a snapshot itself: the one it has was installed from the leader
            try (Stream<Path> s = Files.list(followerSnapshots)) {
                assertThat(s.filter(p -> p.getFileName().toString().startsWith("snapshot_"))).isNotEmpty();
            }
            // and it restarts from that snapshot + its log
            cluster.stopNode(follower);
            cluster.startNode(follower);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Gauges.revision(cluster.node(follower))).isEqualTo(revision));
        }
    }
}
