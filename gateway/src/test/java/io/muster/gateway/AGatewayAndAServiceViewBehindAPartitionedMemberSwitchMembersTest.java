package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.StatusRequest;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import io.muster.client.Watch;
import io.muster.client.WatchListener;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: "a gateway and a ServiceView behind a partitioned member switch within about two
 * election timeouts, with no gap and no duplicate". A real partition (member JVMs, every link
 * between members through a proxy, the follower's links blackholed: its connections stay open and
 * go silent, as behind a dead switch), not a removal or a kill: the member keeps running, hears
 * nothing from the leader and, after an election timeout without one, ends its watch streams with
 * UNAVAILABLE. The gateway (its registry client lists that member first), a {@link ServiceView} and
 * a {@link Watch} on it resume on another member from their last revision. Meanwhile the majority
 * moves the routed service from backend a to backend b, and churns another service.
 */
@ProcessTest
class AGatewayAndAServiceViewBehindAPartitionedMemberSwitchMembersTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** Every event of the watch, in delivery order, and its snapshots. */
    private static final class Recorder implements WatchListener {
        final List<Event> events = new ArrayList<>();
        final List<Long> snapshots = new ArrayList<>();
        volatile int reconnects;

        @Override
        public synchronized void onSnapshot(List<Instance> instances, long revision) {
            snapshots.add(revision);
        }

        @Override
        public synchronized void onEvents(List<Event> batch) {
            events.addAll(batch);
        }

        @Override
        public void onReconnect(Throwable cause, String nextTarget) {
            reconnects++;
        }

        synchronized List<Event> events() {
            return List.copyOf(events);
        }

        synchronized List<Long> snapshots() {
            return List.copyOf(snapshots);
        }
    }

    private Set<String> answers(int port, int n) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/web/x"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            seen.add(r.statusCode() + " " + r.body());
        }
        return seen;
    }

    private static Instance instance(String service, String id, int port) {
        return Instance.newBuilder().setService(service).setId(id).setHost("127.0.0.1").setPort(port).setLeaseTtlMs(600_000).build();
    }

    @Test
    void theGatewayTheViewAndTheWatchResumeOnAnotherMemberWithNoGapAndNoDuplicate() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).proxiedLinks().start();
             TestBackend a = new TestBackend("web-a");
             TestBackend b = new TestBackend("web-b")) {
            String leader = cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT).id();
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT);
            String cutOff = cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            List<String> others = cluster.members().stream().filter(m -> !m.id().equals(cutOff)).map(ProcessCluster.Member::grpcAddress).toList();
            List<String> cutOffFirst = new ArrayList<>();
            cutOffFirst.add(cluster.member(cutOff).grpcAddress());
            cutOffFirst.addAll(others);

            RegistryInstanceSource source = new RegistryInstanceSource(cutOffFirst);
            try (RegistryClient writing = RegistryClient.builder(others).build();
                 RegistryClient viewing = RegistryClient.builder(cutOffFirst).build();
                 GatewayServer gateway = new GatewayServer()) {
                writing.registerOnce(instance("web", "web-a", a.port()));
                var ports = gateway.start(ConfigLoader.parse("""
                        listeners:
                          - {host: 127.0.0.1, port: 0}
                        admin: {host: 127.0.0.1, port: 0}
                        shutdown-drain-ms: 500
                        registry:
                          targets: [%s]
                        routes:
                          - name: web
                            prefix: /web/
                            service: web
                            strategy: round-robin
                            retries: 1
                            connect-timeout-ms: 300
                            request-timeout-ms: 3000
                        """.formatted(String.join(", ", cutOffFirst)), "test.yaml"), source);
                Recorder log = new Recorder();
                Watch watch = viewing.watch(Set.of("web", "churn"), 0, log);
                ServiceView view = viewing.serviceView("web");
                view.whenReady().get(20, TimeUnit.SECONDS);
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !log.snapshots().isEmpty());
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> answers(ports.proxyPort(), 2).equals(Set.of("200 web-a")));
                for (int i = 0; i < 10; i++) {
                    writing.registerOnce(instance("churn", "c" + i, 30_000 + i));
                }

                cluster.network().isolate(cutOff);
                long partitionedAt = System.nanoTime();
                // the majority moves the route's service from a to b, and keeps writing
                writing.registerOnce(instance("web", "web-b", b.port()));
                long webRevision = writing.deregister("web", "web-a").getRevision();
                long lastAcked = webRevision;
                for (int i = 0; i < 10; i++) {
                    lastAcked = Math.max(lastAcked, writing.deregister("churn", "c" + i).getRevision());
                }
                long finalRevision = lastAcked;

                Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                        .until(() -> view.snapshot().revision() >= webRevision
                                && view.instances().stream().map(Instance::getId).toList().equals(List.of("web-b")));
                long viewMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - partitionedAt);
                Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
                        .until(() -> answers(ports.proxyPort(), 3).equals(Set.of("200 web-b")));
                long gatewayMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - partitionedAt);
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> {
                    List<Event> e = log.events();
                    return !e.isEmpty() && e.get(e.size() - 1).getRevision() >= finalRevision;
                });
                long watchMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - partitionedAt);
                System.out.printf("after the partition (election timeout %d ms): the view caught up in %d ms, the gateway routed only to b"
                        + " in %d ms, the watch in %d ms (%d resumes)%n", cluster.electionTimeoutMs(), viewMs, gatewayMs, watchMs, log.reconnects);

                // about two election timeouts (no leader for one, then longer than one) plus the client's resume
                long bound = 2L * cluster.electionTimeoutMs() + 2_500;
                assertThat(viewMs).as("the view").isLessThan(bound);
                assertThat(gatewayMs).as("the gateway").isLessThan(bound);
                assertThat(watchMs).as("the watch").isLessThan(bound);
                assertThat(log.reconnects).as("the watch left the partitioned member").isPositive();
                assertThat(appliedRevision(cluster, cutOff)).as("the partitioned member's state stopped moving").isLessThan(finalRevision);

                List<Event> events = log.events();
                long start = log.snapshots().get(0);
                // exactly once, in order, no gap: revisions are dense and only the two watched services are written
                for (int i = 0; i < events.size(); i++) {
                    assertThat(events.get(i).getRevision()).as("event #%d", i).isEqualTo(start + 1 + i);
                }
                assertThat(events.get(events.size() - 1).getRevision()).isEqualTo(finalRevision);
                Set<String> live = writing.discover("web", DiscoverFilter.all()).stream().map(Instance::getId).collect(Collectors.toSet());
                assertThat(live).containsExactly("web-b");
                assertThat(view.instances().stream().map(Instance::getId).collect(Collectors.toSet())).isEqualTo(live);
                assertThat(view.snapshot().stale()).isFalse();
                view.close();
                watch.close();
            } finally {
                source.close();
            }
        }
    }

    /** The revision the member applied, asked of the member itself (it answers from its own state, leader or not). */
    private static long appliedRevision(ProcessCluster cluster, String id) {
        return ClusterGrpc.newBlockingStub(cluster.channel(id)).withDeadlineAfter(3, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance()).getRevision();
    }
}
