package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.client.Registration;
import io.muster.client.RegistryClient;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.gateway.testing.TestBackend;
import io.muster.server.RegistryNode;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway against a real 3-node registry and real HTTP backends: pools follow registrations,
 * crashed backends leave without failed requests, and the gateway keeps routing and following
 * changes when a registry node (the leader) goes away.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class GatewayFollowsRegistryTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    RegistryInstanceSource source;
    GatewayServer gateway;
    GatewayServer.BoundPorts ports;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    void start() {
        GatewayConfig config = ConfigLoader.parse("""
                listeners:
                  - {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                shutdown-drain-ms: 1000
                registry:
                  targets: [%s]
                routes:
                  - name: web
                    prefix: /web/
                    service: web
                    strategy: round-robin
                    retries: 2
                    connect-timeout-ms: 300
                    request-timeout-ms: 3000
                  - name: api
                    prefix: /api/
                    service: api
                    strategy: round-robin
                    retries: 2
                    connect-timeout-ms: 300
                    request-timeout-ms: 3000
                """.formatted(cluster.targets()), "test.yaml");
        source = new RegistryInstanceSource(List.of(cluster.targets().split(",")));
        gateway = new GatewayServer();
        ports = gateway.start(config, source);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        gateway.close();
        source.close();
    }

    private String get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.proxyPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private TestBackend backend(String name) throws Exception {
        TestBackend b = new TestBackend(name);
        cleanup.add(b);
        return b;
    }

    /** A backend registered by its own client (closing that client = the process died). */
    private RegistryClient register(TestBackend b, String service, long ttlMs) {
        RegistryClient c = RegistryClient.builder(cluster.targets()).build();
        cleanup.add(c);
        c.register(Instance.newBuilder().setService(service).setId(b.name()).setHost("127.0.0.1").setPort(b.port())
                .setLeaseTtlMs(ttlMs).build());
        return c;
    }

    private Set<String> answers(String path, int n) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(get(path));
        }
        return seen;
    }

    @Test
    void poolFollowsRegistrationsAndANewBackendGetsTrafficWithinASecond() throws Exception {
        TestBackend a = backend("web-a");
        TestBackend b = backend("web-b");
        register(a, "web", 10_000);
        register(b, "web", 10_000);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers("/web/x", 4).equals(Set.of("200 web-a", "200 web-b")));

        TestBackend c = backend("web-c");
        register(c, "web", 10_000);
        long registered = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> answers("/web/x", 3).contains("200 web-c"));
        System.out.printf("new backend took traffic %d ms after its registration was acknowledged%n",
                (System.nanoTime() - registered) / 1_000_000);
    }

    @Test
    void crashedBackendLeavesThePoolWithoutFailingRequestsAndRegistryLeaderLossIsHarmless() throws Exception {
        TestBackend a = backend("api-a");
        TestBackend b = backend("api-b");
        register(a, "api", 10_000);
        RegistryClient bClient = register(b, "api", 1_000);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers("/api/x", 4).equals(Set.of("200 api-a", "200 api-b")));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        Set<String> failures = ConcurrentHashMap.newKeySet();
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        String r = get("/api/x");
                        if (r.startsWith("200")) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(r);
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }, "load-" + t);
            th.start();
            load.add(th);
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 100);
        // b crashes: the process is gone, nobody deregisters; its lease expires
        b.kill();
        bClient.close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                gateway.pools().stream().filter(p -> p.service().equals("api")).allMatch(p -> p.endpoints().size() == 1));

        // the registry leader goes away: routing continues and changes still arrive
        RegistryNode leader = cluster.awaitLeader();
        cluster.stopNode(leader.id());
        int before = ok.get();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > before + 100);
        TestBackend c = backend("api-c");
        register(c, "api", 10_000);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> answers("/api/x", 4).contains("200 api-c"));
        stop.set(true);
        for (Thread th : load) {
            th.join(10_000);
        }
        cluster.startNode(leader.id());
        assertThat(failures).as("requests that failed through the gateway").isEmpty();
    }
}
