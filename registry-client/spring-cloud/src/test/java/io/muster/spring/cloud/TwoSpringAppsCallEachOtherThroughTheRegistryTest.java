package io.muster.spring.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * A real registry cluster (member JVMs) and real Spring Boot applications in this JVM, each on an
 * ephemeral port: "greeter" instances register themselves with an HTTP check of their actuator
 * health endpoint; a caller reaches them by service name through a {@code @LoadBalanced} {@code
 * RestClient} and {@code WebClient}. A second instance gets traffic as soon as its check passes; an
 * instance whose application context closes is deregistered at once, before its web server stops
 * (its lease, 60 s, would keep it far longer), and gets no more calls.
 */
@ProcessTest
class TwoSpringAppsCallEachOtherThroughTheRegistryTest {

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    static ProcessCluster cluster;
    static RegistryClient observer;
    static final Map<String, List<String>> REGISTERED_WHEN_STOPPING = new ConcurrentHashMap<>();

    @BeforeAll
    static void startCluster() {
        cluster = ProcessCluster.start(dir, 3);
        observer = RegistryClient.builder(cluster.targets()).build();
    }

    @AfterAll
    static void stopCluster() {
        if (observer != null) {
            observer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({GreeterApp.Hello.class, GreeterApp.RegistryAtStop.class})
    static class GreeterApp {
        /**
         * Stops first of the lifecycle beans (highest phase), before the web server: records which
         * greeters the registry lists then, to show the instance was deregistered before its server stopped.
         */
        static class RegistryAtStop implements SmartLifecycle {
            private final String name;
            private volatile boolean running;

            RegistryAtStop(@Value("${greeter.name}") String name) {
                this.name = name;
            }

            @Override
            public void start() {
                running = true;
            }

            @Override
            public void stop() {
                REGISTERED_WHEN_STOPPING.put(name, greeters().stream().map(Instance::getId).toList());
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MAX_VALUE;
            }
        }

        @RestController
        static class Hello {
            private final String name;

            Hello(@Value("${greeter.name}") String name) {
                this.name = name;
            }

            @GetMapping("/hello")
            String hello() {
                return name;
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class CallerApp {
        @Bean
        @LoadBalanced
        WebClient.Builder loadBalancedWebClient() {
            return WebClient.builder();
        }

        @Bean
        @LoadBalanced
        RestClient.Builder loadBalancedRestClient() {
            return RestClient.builder();
        }
    }

    private static ConfigurableApplicationContext greeter(String name) {
        return new SpringApplicationBuilder(GreeterApp.class).properties(
                "server.port=0",
                "spring.application.name=greeter",
                "spring.main.banner-mode=off",
                "greeter.name=" + name,
                "management.endpoints.web.exposure.include=health",
                "muster.targets=" + cluster.targets(),
                "muster.registration.host=127.0.0.1",
                "muster.registration.instance-id=greeter-" + name,
                "muster.registration.zone=z1",
                "muster.registration.lease-ttl=60s",
                "muster.registration.health-check.interval=300ms",
                "muster.registration.health-check.timeout=250ms").run();
    }

    private static ConfigurableApplicationContext caller() {
        return new SpringApplicationBuilder(CallerApp.class).web(WebApplicationType.NONE).properties(
                "spring.application.name=caller",
                "spring.main.banner-mode=off",
                "muster.targets=" + cluster.targets(),
                "muster.registration.enabled=false").run();
    }

    private static List<Instance> greeters() {
        return observer.discover("greeter", DiscoverFilter.all());
    }

    private static Set<String> answers(Supplier<String> call, int calls) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < calls; i++) {
            seen.add(call.get());
        }
        return seen;
    }

    @Test
    void aCallerReachesEveryHealthyInstanceAndNoneWhoseContextClosed() {
        ConfigurableApplicationContext a = greeter("a");
        ConfigurableApplicationContext b = null;
        ConfigurableApplicationContext caller = caller();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                List<Instance> registered = greeters();
                assertThat(registered).hasSize(1);
                Instance i = registered.get(0);
                assertThat(i.getId()).isEqualTo("greeter-a");
                assertThat(i.getHealth()).as(i.getHealthReason()).isEqualTo(HealthStatus.HEALTHY);
                assertThat(i.getChecks(0).getHttp().getPath()).isEqualTo("/actuator/health");
                assertThat(i.getZone()).isEqualTo("z1");
            });

            RestClient rest = caller.getBean(RestClient.Builder.class).build();
            WebClient web = caller.getBean(WebClient.Builder.class).build();
            Supplier<String> viaRest = () -> rest.get().uri("http://greeter/hello").retrieve().body(String.class);
            Supplier<String> viaWeb = () -> web.get().uri("http://greeter/hello").retrieve().bodyToMono(String.class)
                    .block(Duration.ofSeconds(5));
            assertThat(viaRest.get()).isEqualTo("a");
            assertThat(viaWeb.get()).isEqualTo("a");

            List<ServiceInstance> found = caller.getBean(DiscoveryClient.class).getInstances("greeter");
            assertThat(found).extracting(ServiceInstance::getInstanceId).containsExactly("greeter-a");
            assertThat(found.get(0).getMetadata()).containsEntry("zone", "z1");
            assertThat(caller.getBean(ReactiveDiscoveryClient.class).getInstances("greeter").collectList().block(Duration.ofSeconds(5)))
                    .extracting(ServiceInstance::getInstanceId).containsExactly("greeter-a");

            b = greeter("b");
            Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(greeters()).filteredOn(i -> i.getHealth() == HealthStatus.HEALTHY)
                            .extracting(Instance::getId).containsExactlyInAnyOrder("greeter-a", "greeter-b"));
            Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(answers(viaRest, 8)).containsExactlyInAnyOrder("a", "b");
                assertThat(answers(viaWeb, 8)).containsExactlyInAnyOrder("a", "b");
            });

            long closing = System.nanoTime();
            a.close();
            Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(greeters()).extracting(Instance::getId).containsExactly("greeter-b"));
            long deregisteredMs = (System.nanoTime() - closing) / 1_000_000;
            assertThat(REGISTERED_WHEN_STOPPING.get("a")).as("greeters listed when a's web server began to stop")
                    .containsExactly("greeter-b");
            // the caller's view follows the watch: every call goes to b (no retry hides a call to a)
            Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(caller.getBean(DiscoveryClient.class).getInstances("greeter"))
                            .extracting(ServiceInstance::getInstanceId).containsExactly("greeter-b"));
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                after.add(viaRest.get());
                after.add(viaWeb.get());
            }
            assertThat(after).containsOnly("b");
            System.out.println("greeter-a deregistered " + deregisteredMs + " ms after its context began to close");
        } finally {
            caller.close();
            a.close();
            if (b != null) {
                b.close();
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> greeters().isEmpty());
    }
}
