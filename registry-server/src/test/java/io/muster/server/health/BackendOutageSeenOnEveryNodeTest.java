package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.detectionBound;
import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.everyNodeSees;
import static io.muster.server.health.HealthFixtures.instance;
import static io.muster.server.health.HealthFixtures.local;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.GrpcCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TcpCheck;
import io.muster.server.MemberInternals;
import io.muster.server.RegistryNode;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real 3-node cluster probing real backends on 127.0.0.1: when a backend goes down and comes
 * back, the instance's status follows within the expected number of intervals on all three nodes
 * (LOCAL reads), and a watcher sees each transition exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class BackendOutageSeenOnEveryNodeTest {

    private static final Logger log = LoggerFactory.getLogger(BackendOutageSeenOnEveryNodeTest.class);
    private static final int INTERVAL = 200;
    private static final int TIMEOUT = 150;
    private static final int RISE = 2;
    private static final int FALL = 2;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @BeforeAll
    void everyMemberSeesTheOthers() {
        // every member sees the other two before checks are registered
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> cluster.nodes().stream().allMatch(n -> Gauges.liveMembers(n) == 3));
    }

    private final List<InstanceKey> registered = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Registers through node {@code via}; the instance is removed after the test. */
    private void register(int via, Instance in) {
        Api.register(cluster.channel(anyNode(via)), in);
        registered.add(InstanceKey.of(in));
    }

    @org.junit.jupiter.api.AfterEach
    void deregister() {
        registered.forEach(k -> Api.deregister(cluster.channel(anyNode(0)), k.service(), k.id()));
        registered.clear();
    }

    private String anyNode(int i) {
        return cluster.ids().get(i % 3);
    }

    /** Waits until every node has {@code id} at {@code expected}; returns how long it took. */
    private long awaitEverywhere(String service, String id, HealthStatus expected, int threshold) {
        long start = System.nanoTime();
        Awaitility.await(service + "/" + id + " " + expected + " on every node")
                .atMost(detectionBound(INTERVAL, threshold)).pollInterval(Duration.ofMillis(20))
                .until(() -> everyNodeSees(cluster, service, id, expected));
        long ms = (System.nanoTime() - start) / 1_000_000;
        log.info("{}/{} {} on every node after {} ms", service, id, expected, ms);
        return ms;
    }

    private void awaitChanges(WatchRecorder w, String id, int n) {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> w.healthChanges(id).size() >= n);
    }

    @Test
    void httpBackendThatFailsStopsAndReturnsIsFollowedEverywhereAndWatchedOnce() {
        try (HttpBackend backend = HttpBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel(anyNode(1)), "web")) {
            register(0, instance("web", "w1", backend.port(),
                    every(INTERVAL, TIMEOUT, RISE, FALL).setHttp(HttpCheck.newBuilder().setPath("/healthz"))));
            awaitEverywhere("web", "w1", HealthStatus.HEALTHY, RISE);

            backend.respond(503);
            awaitEverywhere("web", "w1", HealthStatus.UNHEALTHY, FALL);
            assertThat(local(cluster.channel(anyNode(2)), "web", "w1").orElseThrow().getHealthReason()).isEqualTo("HTTP 503");

            backend.respond(200);
            awaitEverywhere("web", "w1", HealthStatus.HEALTHY, RISE);

            backend.stop();
            awaitEverywhere("web", "w1", HealthStatus.UNHEALTHY, FALL);
            assertThat(local(cluster.channel(anyNode(0)), "web", "w1").orElseThrow().getHealthReason()).isEqualTo("connect refused");

            backend.restart();
            awaitEverywhere("web", "w1", HealthStatus.HEALTHY, RISE);

            awaitChanges(watch, "w1", 5);
            // nothing more happens while the backend stays up
            Awaitility.await().during(Duration.ofMillis(10 * INTERVAL)).atMost(Duration.ofSeconds(5))
                    .until(() -> watch.healthChanges("w1").size() == 5);
            assertThat(watch.error.get()).isNull();
            assertThat(watch.healthChanges("w1")).containsExactly(
                    new WatchRecorder.Change("w1", HealthStatus.PENDING, HealthStatus.HEALTHY, "HTTP 200"),
                    new WatchRecorder.Change("w1", HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, "HTTP 503"),
                    new WatchRecorder.Change("w1", HealthStatus.UNHEALTHY, HealthStatus.HEALTHY, "HTTP 200"),
                    new WatchRecorder.Change("w1", HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, "connect refused"),
                    new WatchRecorder.Change("w1", HealthStatus.UNHEALTHY, HealthStatus.HEALTHY, "HTTP 200"));
        }
    }

    @Test
    void expectedStatusOtherThan2xxIsHealthy() {
        try (HttpBackend backend = HttpBackend.start()) {
            backend.respond(204);
            register(1, instance("teapots", "t1", backend.port(),
                    every(INTERVAL, TIMEOUT, 1, 1).setHttp(HttpCheck.newBuilder().setExpectedStatus(418))));
            awaitEverywhere("teapots", "t1", HealthStatus.UNHEALTHY, 1);
            backend.respond(418);
            awaitEverywhere("teapots", "t1", HealthStatus.HEALTHY, 1);
        }
    }

    @Test
    void tcpListenerClosedAndReopenedIsFollowedEverywhere() {
        try (TcpBackend backend = TcpBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel(anyNode(2)), "cache")) {
            register(1, instance("cache", "c1", backend.port(),
                    every(INTERVAL, TIMEOUT, RISE, FALL).setTcp(TcpCheck.getDefaultInstance())));
            awaitEverywhere("cache", "c1", HealthStatus.HEALTHY, RISE);
            backend.stop();
            awaitEverywhere("cache", "c1", HealthStatus.UNHEALTHY, FALL);
            assertThat(local(cluster.channel(anyNode(1)), "cache", "c1").orElseThrow().getHealthReason()).isEqualTo("connect refused");
            backend.reopen();
            awaitEverywhere("cache", "c1", HealthStatus.HEALTHY, RISE);
            awaitChanges(watch, "c1", 3);
            Awaitility.await().during(Duration.ofMillis(5 * INTERVAL)).atMost(Duration.ofSeconds(5))
                    .until(() -> watch.healthChanges("c1").size() == 3);
            assertThat(watch.healthSequence("c1")).containsExactly(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.HEALTHY);
        }
    }

    @Test
    void grpcServingStatusSwitchIsFollowedEverywhere() {
        String svc = "orders.v1.Orders";
        try (GrpcBackend backend = GrpcBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel(anyNode(0)), "orders")) {
            backend.set(svc, ServingStatus.SERVING);
            register(2, instance("orders", "o1", backend.port(),
                    every(INTERVAL, TIMEOUT, RISE, FALL).setGrpc(GrpcCheck.newBuilder().setService(svc))));
            awaitEverywhere("orders", "o1", HealthStatus.HEALTHY, RISE);
            backend.set(svc, ServingStatus.NOT_SERVING);
            awaitEverywhere("orders", "o1", HealthStatus.UNHEALTHY, FALL);
            assertThat(local(cluster.channel(anyNode(0)), "orders", "o1").orElseThrow().getHealthReason())
                    .isEqualTo("gRPC NOT_SERVING");
            backend.set(svc, ServingStatus.SERVING);
            awaitEverywhere("orders", "o1", HealthStatus.HEALTHY, RISE);
            awaitChanges(watch, "o1", 3);
            Awaitility.await().during(Duration.ofMillis(5 * INTERVAL)).atMost(Duration.ofSeconds(5))
                    .until(() -> watch.healthChanges("o1").size() == 3);
            assertThat(watch.healthSequence("o1")).containsExactly(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.HEALTHY);
        }
    }

    @Test
    void grpcServerGoneIsUnhealthy() {
        GrpcBackend backend = GrpcBackend.start();
        backend.set("", ServingStatus.SERVING);
        register(0, instance("ledger", "l1", backend.port(),
                every(INTERVAL, TIMEOUT, 1, FALL).setGrpc(GrpcCheck.getDefaultInstance())));
        awaitEverywhere("ledger", "l1", HealthStatus.HEALTHY, 1);
        backend.close();
        awaitEverywhere("ledger", "l1", HealthStatus.UNHEALTHY, FALL);
    }

    @Test
    void pluginCheckLoadedByServiceLoaderDecidesHealth() {
        SwitchCheckPlugin.SWITCHES.put("s1", ProbeResult.pass("switch on"));
        register(2, instance("plugged", "p1", 7000,
                every(INTERVAL, TIMEOUT, 1, 1).setCustom(CustomCheck.newBuilder().setType("switch").putConfig("switch", "s1"))));
        awaitEverywhere("plugged", "p1", HealthStatus.HEALTHY, 1);
        SwitchCheckPlugin.SWITCHES.put("s1", ProbeResult.fail("switch off"));
        awaitEverywhere("plugged", "p1", HealthStatus.UNHEALTHY, 1);
        assertThat(local(cluster.channel(anyNode(1)), "plugged", "p1").orElseThrow().getHealthReason()).isEqualTo("switch off");
    }

    @Test
    void unknownPluginTypeIsRefusedAtRegistrationNamingTheKnownTypes() {
        assertThatThrownBy(() -> register(0, instance("plugged", "p2", 7001,
                every(INTERVAL, TIMEOUT, 1, 1).setCustom(CustomCheck.newBuilder().setType("no-such-plugin")))))
                .hasMessage("INVALID_ARGUMENT: instance.checks[0].custom.type: 'no-such-plugin' "
                        + "(expected: a health check plugin type of this member: switch)");
        assertThat(local(cluster.channel(anyNode(0)), "plugged", "p2")).isEmpty();
    }

    @Test
    void checksAreSpreadOverTheMembersAndEachInstanceHasExactlyOneOwner() {
        try (TcpBackend backend = TcpBackend.start()) {
            List<String> ids = IntStream.range(0, 30).mapToObj(i -> "s" + i).toList();
            for (int i = 0; i < ids.size(); i++) {
                register(i, instance("spread", ids.get(i), backend.port(),
                        every(1000, 500, 1, 2).setTcp(TcpCheck.getDefaultInstance())));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> ids.stream().allMatch(id -> everyNodeSees(cluster, "spread", id, HealthStatus.HEALTHY)));
            List<Set<String>> perNode = new ArrayList<>();
            for (RegistryNode n : cluster.nodes()) {
                perNode.add(MemberInternals.healthChecks(n).ownedInstances().stream().filter(k -> k.service().equals("spread"))
                        .map(InstanceKey::id).collect(Collectors.toSet()));
                // every member agrees on the owner
                for (String id : ids) {
                    assertThat(MemberInternals.healthChecks(n).owner("default", "spread", id)).isEqualTo(MemberInternals.healthChecks(cluster.node("n1")).owner("default", "spread", id));
                }
            }
            Set<String> union = new HashSet<>();
            perNode.forEach(union::addAll);
            assertThat(union).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(perNode.stream().mapToInt(Set::size).sum()).isEqualTo(ids.size());
            assertThat(perNode).allSatisfy(s -> assertThat(s).isNotEmpty());
            log.info("owned per node: {}", perNode.stream().map(Set::size).toList());
        }
    }

    @Test
    void instanceRegisteredHealthyStaysHealthyWhileItsBackendIsUp() {
        try (HttpBackend backend = HttpBackend.start();
             WatchRecorder watch = new WatchRecorder(cluster.channel(anyNode(0)), "warm")) {
            Instance in = instance("warm", "h1", backend.port(), every(INTERVAL, TIMEOUT, 3, 3).setHttp(HttpCheck.getDefaultInstance()))
                    .toBuilder().setInitialHealth(HealthStatus.HEALTHY).build();
            register(1, in);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.requests.get() >= 5);
            Awaitility.await().during(Duration.ofMillis(5 * INTERVAL)).atMost(Duration.ofSeconds(5))
                    .until(() -> everyNodeSees(cluster, "warm", "h1", HealthStatus.HEALTHY));
            assertThat(watch.healthChanges("h1")).isEmpty();
        }
    }
}
