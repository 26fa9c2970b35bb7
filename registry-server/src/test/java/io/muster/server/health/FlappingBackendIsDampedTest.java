package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.everyNodeSees;
import static io.muster.server.health.HealthFixtures.instance;
import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A backend alternating failure and success (fail, ok, fail, ok, ...) never crosses fall = 3 nor
 * rise = 2: the instance does not flap, no HEALTH_CHANGED is proposed over many intervals. Once the
 * failures become consecutive, exactly one transition follows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class FlappingBackendIsDampedTest {

    private static final int INTERVAL = 200;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @BeforeAll
    void everyMemberSeesTheOthers() {
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> cluster.nodes().stream().allMatch(n -> Gauges.liveMembers(n) == 3));
    }

    @Test
    void alternatingFailuresBelowTheThresholdsNeverChangeTheStatus() {
        try (HttpBackend backend = HttpBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel("n2"), "flaky")) {
            backend.respond(n -> n % 2 == 1 ? 503 : 200);
            Api.register(cluster.channel("n1"), instance("flaky", "f1", backend.port(),
                    every(INTERVAL, 150, 2, 3).setHttp(HttpCheck.getDefaultInstance()))
                    .toBuilder().setInitialHealth(HealthStatus.HEALTHY).build());
            int before = backend.requests.get();
            Awaitility.await().during(Duration.ofMillis(25 * INTERVAL)).atMost(Duration.ofSeconds(10))
                    .until(() -> everyNodeSees(cluster, "flaky", "f1", HealthStatus.HEALTHY) && watch.healthChanges("f1").isEmpty());
            assertThat(backend.requests.get() - before).as("probes during the window").isGreaterThanOrEqualTo(15);
            assertThat(watch.error.get()).isNull();

            backend.respond(503);
            Awaitility.await().atMost(HealthFixtures.detectionBound(INTERVAL, 3))
                    .until(() -> everyNodeSees(cluster, "flaky", "f1", HealthStatus.UNHEALTHY));
            Awaitility.await().during(Duration.ofMillis(5 * INTERVAL)).atMost(Duration.ofSeconds(5))
                    .until(() -> watch.healthChanges("f1").size() == 1);
            assertThat(watch.healthChanges("f1")).containsExactly(
                    new WatchRecorder.Change("f1", HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, "HTTP 503"));
        }
    }

    @Test
    void pendingInstanceWithAlternatingBackendStaysPending() {
        try (HttpBackend backend = HttpBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel("n3"), "flaky")) {
            backend.respond(n -> n % 2 == 1 ? 200 : 503);
            Api.register(cluster.channel("n2"), instance("flaky", "f2", backend.port(),
                    every(INTERVAL, 150, 2, 2).setHttp(HttpCheck.getDefaultInstance())));
            Awaitility.await().during(Duration.ofMillis(20 * INTERVAL)).atMost(Duration.ofSeconds(10))
                    .until(() -> everyNodeSees(cluster, "flaky", "f2", HealthStatus.PENDING));
            assertThat(backend.requests.get()).isGreaterThanOrEqualTo(12);
            assertThat(watch.healthChanges("f2")).isEmpty();
        }
    }
}
