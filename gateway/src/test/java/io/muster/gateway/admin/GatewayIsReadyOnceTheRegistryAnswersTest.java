package io.muster.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.gateway.GatewayServer;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.gateway.pool.StaticInstanceSource;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's admin port: {@code /healthz} answers 200 from the start; {@code /readyz} answers 503
 * while the registry has not answered the pools' watches (it is down when the gateway starts) and 200
 * once it has; a gateway with static instances is ready at once. {@code /metrics} carries the JVM,
 * GC and process meters.
 */
@ClusterTest
class GatewayIsReadyOnceTheRegistryAnswersTest {

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void readyOnlyAfterTheRegistrysFirstAnswer() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 1)) {
            cluster.stopNode("n1");
            RegistryInstanceSource source = new RegistryInstanceSource(List.of(cluster.targets().split(",")));
            GatewayServer gateway = new GatewayServer();
            try {
                GatewayServer.BoundPorts ports = gateway.start(config("""
                        registry:
                          targets: [%s]
                        """.formatted(cluster.targets())), source);
                int admin = ports.admin().getPort();
                assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);
                Awaitility.await("not ready while the registry is down").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                        .until(() -> get(admin, "/readyz").statusCode() == 503);
                assertThat(get(admin, "/readyz").body()).contains("registry");

                cluster.startNode("n1");
                Awaitility.await("ready once the registry answered").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> get(admin, "/readyz").statusCode() == 200);
                assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);
                assertThat(get(admin, "/metrics").body()).contains("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads",
                        "jvm_classes_loaded_classes", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds",
                        "process_files_open_files");
            } finally {
                gateway.close();
                source.close();
            }
        }
    }

    @Test
    void aGatewayWithStaticInstancesIsReadyAtOnce() throws Exception {
        GatewayServer gateway = new GatewayServer();
        StaticInstanceSource source = new StaticInstanceSource(Map.of());
        try {
            int admin = gateway.start(config(""), source).admin().getPort();
            assertThat(get(admin, "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);
        } finally {
            gateway.close();
            source.close();
        }
    }

    private static GatewayConfig config(String registry) {
        return ConfigLoader.parse("""
                listeners:
                  - {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                shutdown-drain-ms: 100
                %s
                routes:
                  - name: web
                    prefix: /web/
                    service: web
                """.formatted(registry), "test.yaml");
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
