package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.certs.CertificateAuthority;
import io.muster.client.RegistryClient;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway configured with {@code registry: {ca, cert, key}} follows a registry whose public port
 * requires client certificates: the instances a TLS client registers reach the gateway's pool.
 */
@ClusterTest
class AGatewayFollowsATlsRegistryWithItsClientCertificateTest {

    @TempDir
    Path dir;

    @Test
    void registeredInstancesReachThePoolOverTls() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca");
        Path tls = Files.createDirectories(dir.resolve("tls"));
        ca.certificate().write(tls.resolve("ca.pem"), tls.resolve("ca-key.pem"));
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .write(tls.resolve("member-n1.pem"), tls.resolve("member-n1-key.pem"));
        ca.issueClient("gateway", Duration.ofDays(1)).write(tls.resolve("client-gateway.pem"), tls.resolve("client-gateway-key.pem"));
        ca.issueClient("app", Duration.ofDays(1)).write(tls.resolve("client-app.pem"), tls.resolve("client-app-key.pem"));
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000).toBuilder()
                .tls(new PublicTls(tls.resolve("member-n1.pem"), tls.resolve("member-n1-key.pem"), tls.resolve("ca.pem"),
                        PublicTls.ClientAuth.REQUIRE, PublicTls.DEFAULT_RELOAD_PERIOD)).build());
             RegistryClient app = RegistryClient.builder(cluster.targets()).tls(tls.resolve("ca.pem"))
                     .clientCertificate(tls.resolve("client-app.pem"), tls.resolve("client-app-key.pem")).build()) {
            Path yaml = Files.writeString(dir.resolve("gateway.yaml"), """
                    listeners: [{host: 127.0.0.1, port: 8080}]
                    registry:
                      targets: [%s]
                      ca: %s
                      cert: %s
                      key: %s
                      snapshot-dir: "off"
                    routes:
                      - {name: hello, prefix: /hello, service: hello}
                    """.formatted(cluster.targets(), tls.resolve("ca.pem"), tls.resolve("client-gateway.pem"),
                    tls.resolve("client-gateway-key.pem")));
            GatewayConfig config = ConfigLoader.load(yaml);
            assertThat(config.registry().tlsOn()).isTrue();
            AtomicReference<List<Instance>> seen = new AtomicReference<>(List.of());
            RegistryInstanceSource source = new RegistryInstanceSource(config.registry().targets(),
                    config.registry().snapshotPath(), b -> Main.registryTls(config.registry(), b));
            try {
                source.subscribe("hello", seen::set);
                app.registerOnce(Instance.newBuilder().setService("hello").setId("h1").setHost("127.0.0.1").setPort(8101)
                        .setLeaseTtlMs(60_000).build());
                Awaitility.await("the instance reaches the gateway over TLS").atMost(Duration.ofSeconds(20))
                        .until(() -> seen.get().stream().anyMatch(i -> i.getId().equals("h1")));
                assertThat(source.answered()).isTrue();
            } finally {
                source.close();
            }
        }
    }
}
