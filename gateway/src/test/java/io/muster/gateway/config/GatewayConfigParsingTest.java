package io.muster.gateway.config;

import io.muster.config.ConfigException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.gateway.lb.Strategy;
import io.muster.gateway.route.Route;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class GatewayConfigParsingTest {

  private static final String FULL = """
      listeners:
        - host: 127.0.0.1
          port: 8080
          idle-timeout-ms: 30000
      admin:
        port: 9901
      registry:
        targets: ["10.0.0.1:7001", "10.0.0.2:7001"]
      outlier:
        consecutive-failures: 3
        base-ejection-ms: 5000
        max-ejection-ms: 60000
        max-ejection-percent: 30
      balancer:
        ewma-decay-ms: 5000
      retry-budget:
        ratio: 0.1
        min-per-second: 5
      upstream:
        max-connections-per-endpoint: 100
      routes:
        - prefix: /orders/
          host: shop.example.com
          service: orders
          rewrite: /
          strategy: consistent-hash
          hash-key:
            cookie: session
          connect-timeout-ms: 250
          request-timeout-ms: 2000
          retries: 2
          canary:
            metadata:
              version: canary
            percent: 10
            header: X-Canary
        - service: web
      static-instances:
        orders:
          - host: 10.0.0.5
            port: 9000
            weight: 50
            metadata: {version: canary}
          - {id: o2, host: 10.0.0.6, port: 9000, health: warning}
      """;

  @Test
  void aFullConfigurationParsesWithDefaultsFilledIn() {
    GatewayConfig c = ConfigLoader.parse(FULL, "gateway.yaml");
    assertEquals(ListenerConfig.of("127.0.0.1", 8080).host(), c.listeners().get(0).host());
    assertEquals(30_000L, c.listeners().get(0).idleTimeoutMs());
    assertEquals("127.0.0.1", c.admin().host());
    assertEquals(List.of("10.0.0.1:7001", "10.0.0.2:7001"), c.registry().targets());
    assertEquals(3, c.poolSettings().outlier().consecutiveFailures());
    assertEquals(Duration.ofSeconds(5), c.poolSettings().ewmaDecay());
    assertEquals(0.1, c.retryBudget().ratio());
    assertEquals(64, c.upstream().maxIdlePerLoop());

    Route orders = c.routes().get(0).toRoute();
    assertEquals(Strategy.CONSISTENT_HASH, orders.strategy());
    assertEquals("session", orders.hashKey().cookie());
    assertEquals("shop.example.com", orders.host());
    assertEquals(Duration.ofMillis(250), orders.connectTimeout());
    assertEquals(Duration.ofSeconds(60), orders.idleTimeout());
    assertEquals(Map.of("version", "canary"), orders.canary().metadata());
    assertEquals(10.0, orders.canary().percent());
    assertEquals(Set.of(), orders.canary().tags());

    Route web = c.routes().get(1).toRoute();
    assertEquals("/", web.prefix());
    assertEquals(Strategy.ROUND_ROBIN, web.strategy());
    assertEquals(1, web.retries());
    assertNull(web.canary());

    List<Instance> instances = c.staticInstancesByService().get("orders");
    assertEquals("10.0.0.5:9000", instances.get(0).getId());
    assertEquals(50, instances.get(0).getWeight());
    assertEquals(HealthStatus.HEALTHY, instances.get(0).getHealth());
    assertEquals(HealthStatus.WARNING, instances.get(1).getHealth());
  }

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "gateway.yaml")).getMessage();
  }

  @Test
  void anUnknownKeyIsRejectedWithItsNameLineAndTheKnownKeys() {
    String msg = error("""
        listeners: [{port: 8080}]
        routes:
          - service: orders
            retires: 2
        """);
    assertTrue(msg.startsWith("gateway.yaml: line 4, column "), msg);
    assertTrue(msg.contains("routes[0].retires: unknown key 'retires' (known keys: "), msg);
    assertTrue(msg.contains("retries"), msg);
  }

  @Test
  void aMissingRequiredFieldIsNamedWithItsLocation() {
    String msg = error("""
        listeners: [{port: 8080}]
        routes:
          - prefix: /orders/
        """);
    assertTrue(msg.matches("gateway\\.yaml: line \\d+, column \\d+: routes\\[0]: service: required"), msg);
  }

  @Test
  void invalidValuesNameTheFieldAndTheAcceptedRange() {
    assertTrue(error("listeners: [{port: 70000}]\nroutes: [{service: a}]\n")
        .endsWith("listeners[0]: port: 70000 (expected: 0-65535, 0 picks a free port)"));
    assertTrue(error("listeners: [{port: 1}]\nroutes: [{service: a, strategy: random}]\n")
        .contains("routes[0].strategy: unknown strategy 'random' (expected one of: round-robin, "));
    assertTrue(error("listeners: [{port: 1}]\nroutes: [{service: a, strategy: consistent-hash}]\n")
        .endsWith("routes[0]: hash-key: required by strategy consistent-hash"));
    assertTrue(error("listeners: [{port: 1}]\nroutes: [{service: a, canary: {percent: 120, tags: [c]}}]\n")
        .endsWith("routes[0].canary: canary.percent: 120.0 (expected: 0-100)"));
    assertTrue(error("listeners: [{port: 1}]\nroutes: [{service: a, connect-timeout-ms: 0}]\n")
        .endsWith("routes[0]: connect-timeout-ms: 0 (expected: > 0)"));
    assertTrue(error("listeners: [{port: 1}]\nroutes: [{service: a}]\nregistry: {targets: [nohost]}\n")
        .endsWith("registry: targets[0]: 'nohost' (expected: " + io.muster.api.HostPorts.EXPECTED + ")"));
    assertTrue(error("listeners: [{port: 1}]\nroutes: {service: a}\n").contains("routes: wrong type (expected: a list)"));
    assertTrue(error("routes: [{service: a}]\n").endsWith("listeners: required"));
  }

  @Test
  void brokenYamlReportsTheLine() {
    String msg = error("listeners: [{port: 1}\nroutes: [\n");
    assertEquals("gateway.yaml: line 2, column 1: invalid YAML: expected ',' or ']', but got <scalar>"
        + " (while parsing a flow sequence)", msg);
  }

  @Test
  void theShippedExampleConfigurationIsValid() {
    GatewayConfig c = ConfigLoader.load(java.nio.file.Path.of("gateway.example.yaml"));
    assertEquals(3, c.routes().size());
    assertEquals(3, c.staticInstancesByService().get("orders").size());
  }

  @Test
  void theDeployConfigurationsAreValid() {
    GatewayConfig local = ConfigLoader.load(java.nio.file.Path.of("..", "deploy", "local", "gateway.yaml"));
    assertEquals(3, local.registry().targets().size());
    assertEquals("hello", local.routes().get(0).service());
    GatewayConfig docker = ConfigLoader.load(java.nio.file.Path.of("..", "deploy", "docker", "gateway.yaml"));
    assertEquals(List.of("n1:9001", "n2:9001", "n3:9001"), docker.registry().targets());
    GatewayConfig systemd = ConfigLoader.load(java.nio.file.Path.of("..", "deploy", "systemd", "gateway.yaml.example"));
    assertEquals(3, systemd.registry().targets().size());
  }

  @Test
  void theKubernetesConfigMapHoldsAValidConfiguration() throws Exception {
    // the ConfigMap's gateway.yaml is what the pod mounts as /etc/muster/gateway.yaml
    var docs = new ObjectMapper(new YAMLFactory())
        .readerFor(JsonNode.class)
        .<JsonNode>readValues(java.nio.file.Path.of("..", "deploy", "k8s", "gateway.yaml").toFile())
        .readAll();
    String yaml = docs.stream().filter(d -> "ConfigMap".equals(d.path("kind").asText()))
        .findFirst().orElseThrow().path("data").path("gateway.yaml").asText();
    GatewayConfig k8s = ConfigLoader.parse(yaml, "deploy/k8s/gateway.yaml ConfigMap");
    assertEquals(3, k8s.registry().targets().size());
    assertEquals(8081, k8s.admin().port());
  }

  @Test
  void theExampleTargetsTheMembersGrpcPortsNotTheirRaftPorts() {
    GatewayConfig c = ConfigLoader.load(java.nio.file.Path.of("gateway.example.yaml"));
    // deploy/local runs Raft on 7001-7003 and the public gRPC on 9001-9003
    assertEquals(List.of("127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"), c.registry().targets());
  }
}
