package io.muster.spring.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.Instance;
import io.muster.client.RegistryClient;
import io.muster.testkit.UnitTest;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationConfiguration;
import org.springframework.cloud.commons.util.UtilAutoConfiguration;
import org.springframework.mock.env.MockEnvironment;

/**
 * The {@code muster.*} properties bind from their documented names (kebab case, lists, maps,
 * durations), a value out of range stops the binding with the property and the range named, every
 * property has generated metadata with a description, and the beans follow the enable flags.
 */
@UnitTest
class MusterPropertiesBindAndAreDescribedTest {

    private static MusterProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bind("muster", MusterProperties.class).get();
    }

    @Test
    void everyPropertyBindsFromItsDocumentedName() {
        MusterProperties p = bind(Map.ofEntries(
                Map.entry("muster.targets", "10.0.0.1:9001, 10.0.0.2:9001"),
                Map.entry("muster.deadline", "2s"),
                Map.entry("muster.snapshot-dir", "/var/cache/muster"),
                Map.entry("muster.discovery.enabled", "false"),
                Map.entry("muster.registration.service", "orders"),
                Map.entry("muster.registration.instance-id", "orders-1"),
                Map.entry("muster.registration.host", "10.0.0.7"),
                Map.entry("muster.registration.port", "8443"),
                Map.entry("muster.registration.secure", "true"),
                Map.entry("muster.registration.tags[0]", "v2"),
                Map.entry("muster.registration.tags[1]", "canary"),
                Map.entry("muster.registration.metadata.team", "payments"),
                Map.entry("muster.registration.zone", "eu-1a"),
                Map.entry("muster.registration.weight", "250"),
                Map.entry("muster.registration.lease-ttl", "30s"),
                Map.entry("muster.registration.health-check.path", "/ready"),
                Map.entry("muster.registration.health-check.port", "9090"),
                Map.entry("muster.registration.health-check.interval", "1s"),
                Map.entry("muster.registration.health-check.timeout", "500ms"),
                Map.entry("muster.loadbalancer.zone", "eu-1b")));
        assertThat(p.getTargets()).containsExactly("10.0.0.1:9001", "10.0.0.2:9001");
        assertThat(p.getDeadline()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.getSnapshotDir()).hasToString("/var/cache/muster");
        assertThat(p.getDiscovery().isEnabled()).isFalse();
        assertThat(p.preferredZone()).isEqualTo("eu-1b");

        MusterRegistration r = new MusterRegistration(p.getRegistration(), "orders", p.getRegistration().getHost(), "/ready", 9090);
        Instance i = r.toInstance();
        assertThat(i.getService()).isEqualTo("orders");
        assertThat(i.getId()).isEqualTo("orders-1");
        assertThat(i.getHost()).isEqualTo("10.0.0.7");
        assertThat(i.getPort()).isEqualTo(8443);
        assertThat(i.getTagsList()).containsExactly("v2", "canary");
        assertThat(i.getMetadataMap()).containsEntry("team", "payments").containsEntry("secure", "true");
        assertThat(i.getZone()).isEqualTo("eu-1a");
        assertThat(i.getWeight()).isEqualTo(250);
        assertThat(i.getLeaseTtlMs()).isEqualTo(30_000);
        assertThat(i.getChecks(0).getHttp().getPath()).isEqualTo("/ready");
        assertThat(i.getChecks(0).getHttp().getPort()).isEqualTo(9090);
        assertThat(i.getChecks(0).getHttp().getScheme()).isEqualTo("https");
        assertThat(i.getChecks(0).getIntervalMs()).isEqualTo(1000);
        assertThat(i.getChecks(0).getTimeoutMs()).isEqualTo(500);
    }

    @Test
    void theDefaultsAreTheRegistrysAndTheLoadBalancerPrefersTheOwnZone() {
        MusterProperties p = bind(Map.of("muster.targets", "127.0.0.1:9001", "muster.registration.zone", "z1"));
        assertThat(p.isEnabled()).isTrue();
        assertThat(p.getDeadline()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.getRegistration().getWeight()).isEqualTo(100);
        assertThat(p.getRegistration().getLeaseTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.getRegistration().getHealthCheck().getInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.preferredZone()).isEqualTo("z1");
    }

    @Test
    void aValueOutOfRangeNamesThePropertyAndTheRange() {
        assertThatThrownBy(() -> bind(Map.of("muster.registration.weight", "0")))
                .isInstanceOf(BindException.class).rootCause()
                .hasMessage("muster.registration.weight: 0 (expected: 1-10000)");
        assertThatThrownBy(() -> bind(Map.of("muster.registration.lease-ttl", "500ms")))
                .rootCause().hasMessage("muster.registration.lease-ttl: 500ms (expected: 1000-3600000ms)");
        assertThatThrownBy(() -> bind(Map.of("muster.targets", "10.0.0.1")))
                .rootCause().hasMessageStartingWith("muster.targets");
        assertThatThrownBy(() -> bind(Map.of("muster.registration.health-check.path", "health")))
                .rootCause().hasMessage("muster.registration.health-check.path: health (expected: a path starting with /)");
    }

    @Test
    void theHealthCheckProbesTheActuatorWhereTheWebServerServesIt() {
        assertThat(MusterRegistrationAutoConfiguration.actuatorHealthPath(new MockEnvironment())).isEqualTo("/actuator/health");
        assertThat(MusterRegistrationAutoConfiguration.actuatorHealthPath(new MockEnvironment()
                .withProperty("server.servlet.context-path", "/shop/")
                .withProperty("management.endpoints.web.base-path", "/manage")))
                .isEqualTo("/shop/manage/health");
        MockEnvironment ownPort = new MockEnvironment().withProperty("server.port", "8080")
                .withProperty("management.server.port", "9090").withProperty("management.server.base-path", "/admin")
                .withProperty("server.servlet.context-path", "/shop");
        assertThat(MusterRegistrationAutoConfiguration.actuatorHealthPath(ownPort)).isEqualTo("/admin/actuator/health");
        assertThat(MusterRegistrationAutoConfiguration.managementPort(ownPort)).isEqualTo(9090);
    }

    @Test
    void everyPropertyHasGeneratedMetadataWithADescription() throws Exception {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("spring-configuration-metadata.json").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String name : List.of("muster.enabled", "muster.targets", "muster.deadline", "muster.snapshot-dir",
                "muster.discovery.enabled", "muster.registration.enabled", "muster.registration.service",
                "muster.registration.instance-id", "muster.registration.host", "muster.registration.port",
                "muster.registration.secure", "muster.registration.tags", "muster.registration.metadata",
                "muster.registration.zone", "muster.registration.weight", "muster.registration.lease-ttl",
                "muster.registration.health-check.enabled", "muster.registration.health-check.path",
                "muster.registration.health-check.port", "muster.registration.health-check.interval",
                "muster.registration.health-check.timeout", "muster.loadbalancer.enabled", "muster.loadbalancer.zone")) {
            assertThat(json).as(name).containsPattern("\"name\": ?\"" + name.replace(".", "\\.") + "\"");
        }
        assertThat(json).doesNotContain("\"description\": \"\"");
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MusterAutoConfiguration.class, MusterDiscoveryAutoConfiguration.class,
                    MusterRegistrationAutoConfiguration.class, AutoServiceRegistrationConfiguration.class, UtilAutoConfiguration.class))
            .withPropertyValues("muster.targets=127.0.0.1:9", "spring.application.name=Orders");

    @Test
    void theBeansFollowTheEnableFlags() {
        runner.run(ctx -> {
            assertThat(ctx).hasSingleBean(RegistryClient.class).hasSingleBean(MusterDiscoveryClient.class)
                    .hasSingleBean(MusterReactiveDiscoveryClient.class).hasSingleBean(MusterAutoServiceRegistration.class);
            assertThat(ctx.getBean(MusterRegistration.class).getServiceId()).isEqualTo("orders");
            assertThat(ctx.getBean(MusterRegistration.class).healthCheckPath()).isEqualTo("/actuator/health");
        });
        runner.withPropertyValues("muster.discovery.enabled=false", "muster.registration.enabled=false").run(ctx ->
                assertThat(ctx).hasSingleBean(RegistryClient.class).doesNotHaveBean(MusterDiscoveryClient.class)
                        .doesNotHaveBean(MusterAutoServiceRegistration.class));
        runner.withPropertyValues("muster.registration.health-check.enabled=false").run(ctx ->
                assertThat(ctx.getBean(MusterRegistration.class).healthCheckPath()).isNull());
        runner.withPropertyValues("muster.enabled=false").run(ctx ->
                assertThat(ctx).doesNotHaveBean(RegistryClient.class).doesNotHaveBean(MusterDiscoveryClient.class));
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MusterAutoConfiguration.class)).run(ctx ->
                assertThat(ctx).hasFailed().getFailure().rootCause().hasMessageStartingWith("muster.targets: empty"));
    }
}
