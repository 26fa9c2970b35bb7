package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.client.RegistryClient;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.gateway.testing.TestBackend;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failsafe snapshot end to end: a gateway that followed the registry is restarted while every
 * registry member is down, and still routes to the last known healthy instance.
 */
@ClusterTest
class GatewayRestartedDuringARegistryOutageRoutesToLastKnownInstancesTest {

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayConfig config(String targets) {
        return ConfigLoader.parse("""
                listeners:
                  - {host: 127.0.0.1, port: 0}
                shutdown-drain-ms: 100
                registry:
                  targets: [%s]
                  snapshot-dir: %s
                routes:
                  - {name: web, prefix: /web/, service: web, strategy: round-robin, connect-timeout-ms: 300, request-timeout-ms: 3000}
                """.formatted(targets, dir.resolve("snapshots")), "test.yaml");
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private static RegistryInstanceSource source(GatewayConfig c) {
        return new RegistryInstanceSource(c.registry().targets(), c.registry().snapshotPath());
    }

    @Test
    void aGatewayStartedWhileTheRegistryIsDownRoutesToTheLastKnownInstances() throws Exception {
        try (TestBackend backend = new TestBackend("web-a")) {
            String targets;
            try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), 1)) {
                targets = cluster.targets();
                GatewayConfig c = config(targets);
                try (RegistryClient client = RegistryClient.builder(targets).build()) {
                    client.registerOnce(Instance.newBuilder().setService("web").setId("web-a").setHost("127.0.0.1")
                            .setPort(backend.port()).setLeaseTtlMs(600_000).build());
                    RegistryInstanceSource source = source(c);
                    GatewayServer gateway = new GatewayServer();
                    GatewayServer.BoundPorts ports = gateway.start(c, source);
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(ports.proxyPort(), "/web/x").equals("200 web-a"));
                    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(dir.resolve("snapshots").resolve("web.snapshot")));
                    gateway.close();
                    source.close();
                }
            } // every registry member is gone

            GatewayConfig c = config(targets);
            assertThat(c.registry().snapshotPath()).isEqualTo(Optional.of(dir.resolve("snapshots")));
            RegistryInstanceSource source = source(c);
            GatewayServer gateway = new GatewayServer();
            try {
                GatewayServer.BoundPorts ports = gateway.start(c, source);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(ports.proxyPort(), "/web/x").equals("200 web-a"));
            } finally {
                gateway.close();
                source.close();
            }
        }
    }

    @Test
    void snapshotDirDefaultsUnderTheTempDirAndCanBeTurnedOff() {
        GatewayConfig defaults = ConfigLoader.parse("listeners: [{port: 1}]\nroutes: [{service: a}]\nregistry: {targets: ['h:1']}\n", "t.yaml");
        assertThat(defaults.registry().snapshotPath())
                .contains(Path.of(System.getProperty("java.io.tmpdir"), "muster-gateway", "registry-snapshots"));
        GatewayConfig off = ConfigLoader.parse("listeners: [{port: 1}]\nroutes: [{service: a}]\nregistry: {targets: ['h:1'], snapshot-dir: 'off'}\n", "t.yaml");
        assertThat(off.registry().snapshotPath()).isEmpty();
        assertThat(List.of(off.registry().targets())).hasSize(1);
    }
}
