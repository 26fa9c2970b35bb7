package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.healthOn;
import static io.muster.server.health.HealthFixtures.instance;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.server.testing.Api;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes are separate JVMs. The member that runs a set of checks (found with the same rendezvous
 * function every member uses) is killed with SIGKILL, then the backend fails: the surviving members
 * detect it without any hand-over from the dead one.
 */
@ProcessTest
class CheckOwnerKilledTest {

    private static final Logger log = LoggerFactory.getLogger(CheckOwnerKilledTest.class);

    @TempDir
    Path dir;

    @Test
    void survivorsDetectAFailingBackendAfterItsOwnerWasKilled() {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3);
             HttpBackend backend = HttpBackend.start()) {
            List<String> members = cluster.members().stream().map(ProcessCluster.Member::id).toList();
            List<String> ids = IntStream.range(0, 9).mapToObj(i -> "k-" + i).toList();
            for (String id : ids) {
                Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> Api.register(cluster.channel(members.get(0)), instance("killed", id, backend.port(),
                                every(300, 200, 1, 2).setHttp(HttpCheck.getDefaultInstance()))) != null);
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> ids.stream().allMatch(id -> members.stream()
                            .allMatch(m -> healthOn(cluster.channel(m), "killed", id) == HealthStatus.HEALTHY)));

            Map<String, List<String>> byOwner = ids.stream().collect(Collectors.groupingBy(
                    id -> Rendezvous.owner("killed/" + id, members).orElseThrow()));
            String victim = byOwner.entrySet().stream().max(Comparator.comparingInt(e -> e.getValue().size())).orElseThrow().getKey();
            log.info("killing {} (runs the checks of {})", victim, byOwner.get(victim));
            cluster.kill(victim);
            long start = System.nanoTime();
            backend.respond(503);

            List<String> survivors = members.stream().filter(m -> !m.equals(victim)).toList();
            Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().pollInterval(Duration.ofMillis(50))
                    .until(() -> ids.stream().allMatch(id -> survivors.stream()
                            .allMatch(m -> healthOn(cluster.channel(m), "killed", id) == HealthStatus.UNHEALTHY)));
            log.info("all UNHEALTHY on {} {} ms after SIGKILL of {}", survivors, (System.nanoTime() - start) / 1_000_000, victim);
        }
    }
}
