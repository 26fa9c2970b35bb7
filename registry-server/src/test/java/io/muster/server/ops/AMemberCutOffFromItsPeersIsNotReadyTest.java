package io.muster.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} on a member's metrics port follows its view of the cluster: a member whose two
 * peers are SIGKILLed loses its leader and answers 503 within a few election timeouts (1 s here),
 * while {@code /healthz} stays 200; once the peers are back it is ready again.
 */
@ProcessTest
class AMemberCutOffFromItsPeersIsNotReadyTest {

    @TempDir
    static Path dir;
    static ProcessCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() {
        cluster = ProcessCluster.start(dir, 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void notReadyWithoutItsPeersAndReadyAgainWhenTheyReturn() {
        List<String> ids = cluster.members().stream().map(ProcessCluster.Member::id).toList();
        for (String id : ids) {
            Awaitility.await(id + " ready").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> get(id, "/readyz").statusCode() == 200);
        }
        String survivor = ids.get(0);
        List<String> others = ids.subList(1, 3);
        others.forEach(cluster::kill);

        Awaitility.await(survivor + " not ready without a leader").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().until(() -> get(survivor, "/readyz").statusCode() == 503);
        assertThat(get(survivor, "/readyz").body()).contains("leader");
        assertThat(get(survivor, "/healthz").statusCode()).isEqualTo(200);

        others.forEach(cluster::startNode);
        Awaitility.await(survivor + " ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> get(survivor, "/readyz").statusCode() == 200);
        for (String id : others) {
            Awaitility.await(id + " ready after its restart").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> get(id, "/readyz").statusCode() == 200);
        }
    }

    private HttpResponse<String> get(String id, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.member(id).metricsPort() + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(id + path + ": " + e, e);
        }
    }
}
