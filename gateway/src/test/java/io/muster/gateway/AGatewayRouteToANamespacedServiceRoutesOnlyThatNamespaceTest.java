package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muster.api.v1.Instance;
import io.muster.client.RegistryClient;
import io.muster.config.ConfigException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A route's {@code service: shop/orders} follows service {@code orders} of namespace {@code shop}
 * and nothing of {@code orders} in {@code default}, which a route naming plain {@code orders}
 * follows; a route naming a bad namespace is a configuration error naming the key.
 */
@ClusterTest
class AGatewayRouteToANamespacedServiceRoutesOnlyThatNamespaceTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void shopOrdersAndDefaultOrdersAreTwoPools() throws Exception {
        GatewayConfig config = ConfigLoader.parse("""
                listeners:
                  - {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                shutdown-drain-ms: 1000
                registry:
                  targets: [%s]
                routes:
                  - {name: shop, prefix: /shop/, service: shop/orders}
                  - {name: plain, prefix: /plain/, service: orders}
                """.formatted(cluster.targets()), "test.yaml");
        List<AutoCloseable> cleanup = new ArrayList<>();
        RegistryInstanceSource source = new RegistryInstanceSource(List.of(cluster.targets().split(",")));
        try (GatewayServer gateway = new GatewayServer()) {
            GatewayServer.BoundPorts ports = gateway.start(config, source);
            TestBackend inShop = new TestBackend("in-shop");
            TestBackend inDefault = new TestBackend("in-default");
            cleanup.add(inShop);
            cleanup.add(inDefault);
            RegistryClient client = RegistryClient.builder(cluster.targets()).build();
            cleanup.add(client);
            client.register(Instance.newBuilder().setNamespace("shop").setService("orders").setId("o-1").setHost("127.0.0.1")
                    .setPort(inShop.port()).build());
            client.register(Instance.newBuilder().setService("orders").setId("o-1").setHost("127.0.0.1")
                    .setPort(inDefault.port()).build());

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers(ports, "/shop/x", 1).equals(Set.of("200 in-shop"))
                    && answers(ports, "/plain/x", 1).equals(Set.of("200 in-default")));
            assertThat(answers(ports, "/shop/x", 10)).containsExactly("200 in-shop");
            assertThat(answers(ports, "/plain/x", 10)).containsExactly("200 in-default");
        } finally {
            for (AutoCloseable c : cleanup) {
                c.close();
            }
            source.close();
        }
    }

    @Test
    void aRouteNamingABadNamespaceIsAConfigurationError() {
        String message = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                listeners:
                  - {host: 127.0.0.1, port: 0}
                registry:
                  targets: [127.0.0.1:1]
                routes:
                  - {prefix: /shop/, service: Shop/orders}
                """, "gateway.yaml")).getMessage();
        assertThat(message).contains("service: 'Shop/orders'").contains("[a-z0-9-]");
    }

    private Set<String> answers(GatewayServer.BoundPorts ports, String path, int n) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.proxyPort() + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            seen.add(r.statusCode() + " " + r.body());
        }
        return seen;
    }
}
