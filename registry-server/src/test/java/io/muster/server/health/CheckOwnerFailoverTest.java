package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.everyNodeSees;
import static io.muster.server.health.HealthFixtures.instance;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.server.MemberInternals;
import io.muster.server.RegistryNode;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member running a set of checks stops; the survivors see it gone, take its checks over, and
 * detect the backend failing. When it comes back it takes its share again and checks go on.
 */
@ClusterTest
class CheckOwnerFailoverTest {

    private static final Logger log = LoggerFactory.getLogger(CheckOwnerFailoverTest.class);
    private static final int INTERVAL = 200;

    @TempDir
    Path dir;

    @Test
    void survivorsTakeOverTheChecksOfAStoppedMemberAndGiveThemBackWhenItReturns() {
        try (LocalCluster cluster = LocalCluster.start(dir, 3);
             HttpBackend backend = HttpBackend.start()) {
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> cluster.nodes().stream().allMatch(n -> Gauges.liveMembers(n) == 3));
            List<String> ids = IntStream.range(0, 12).mapToObj(i -> "api-" + i).toList();
            for (String id : ids) {
                Api.register(cluster.channel("n1"), instance("failover", id, backend.port(),
                        every(INTERVAL, 150, 1, 2).setHttp(HttpCheck.getDefaultInstance())));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> ids.stream().allMatch(id -> everyNodeSees(cluster, "failover", id, HealthStatus.HEALTHY)));

            RegistryNode owner = cluster.nodes().stream()
                    .max(Comparator.comparingInt(n -> owned(n).size())).orElseThrow();
            Set<String> itsChecks = owned(owner);
            assertThat(itsChecks).isNotEmpty();
            log.info("stopping {} (leader: {}), which runs the checks of {}", owner.id(), owner.isLeader(), itsChecks);
            String stopped = owner.id();
            cluster.stopNode(stopped);
            long start = System.nanoTime();
            backend.respond(503);

            Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                    .until(() -> ids.stream().allMatch(id -> everyNodeSees(cluster, "failover", id, HealthStatus.UNHEALTHY)));
            log.info("all {} instances UNHEALTHY on the survivors {} ms after {} stopped", ids.size(),
                    (System.nanoTime() - start) / 1_000_000, stopped);
            for (RegistryNode n : cluster.nodes()) {
                assertThat(MemberInternals.healthChecks(n).liveMembers()).doesNotContain(stopped);
            }
            Set<String> survivorsOwn = cluster.nodes().stream().flatMap(n -> owned(n).stream()).collect(Collectors.toSet());
            assertThat(survivorsOwn).containsAll(itsChecks).containsExactlyInAnyOrderElementsOf(ids);

            // the member returns: it is seen alive, takes back exactly its share, and checks go on
            cluster.startNode(stopped);
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> cluster.nodes().stream().allMatch(n -> Gauges.liveMembers(n) == 3));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owned(cluster.node(stopped)).equals(itsChecks));
            backend.respond(200);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> ids.stream().allMatch(id -> everyNodeSees(cluster, "failover", id, HealthStatus.HEALTHY)));
            int total = cluster.nodes().stream().mapToInt(n -> owned(n).size()).sum();
            assertThat(total).as("each instance checked by exactly one member").isEqualTo(ids.size());
        }
    }

    private static Set<String> owned(RegistryNode n) {
        return MemberInternals.healthChecks(n).ownedInstances().stream().filter(k -> k.service().equals("failover"))
                .map(InstanceKey::id).collect(Collectors.toSet());
    }
}
