package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.everyNodeSees;
import static io.muster.server.health.HealthFixtures.instance;
import static io.muster.server.health.HealthFixtures.local;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.TcpCheck;
import io.muster.api.v1.TtlCheck;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TTL checks: the instance reports pass / warn / fail through UpdateHealth (on any member) or its
 * keep-alive stream; silence for ttl_ms fails it, FAIL fails it at once, WARN gives WARNING.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class TtlReportsTest {

    private static final int TTL_MS = 1000;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @BeforeAll
    void everyMemberSeesTheOthers() {
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> cluster.nodes().stream().allMatch(n -> Gauges.liveMembers(n) == 3));
    }

    private static Instance ttlInstance(String id) {
        return instance("batch", id, 9100, every(0, 0, 0, 0).setName("alive").setTtl(TtlCheck.newBuilder().setTtlMs(TTL_MS)));
    }

    private UpdateHealthResponse report(String node, String id, CheckResult result, String note) {
        return Api.registry(cluster.channel(node)).updateHealth(UpdateHealthRequest.newBuilder()
                .setService("batch").setInstanceId(id)
                .setReport(CheckReport.newBuilder().setCheckName("alive").setResult(result).setNote(note))
                .build());
    }

    @Test
    void instanceThatStopsReportingBecomesUnhealthyAfterTtl() {
        Api.register(cluster.channel("n1"), ttlInstance("silent"));
        assertThat(report("n2", "silent", CheckResult.PASS, "").getHealth()).isEqualTo(HealthStatus.HEALTHY);
        long lastReport = System.nanoTime();
        assertThat(report("n3", "silent", CheckResult.PASS, "").getHealth()).isEqualTo(HealthStatus.HEALTHY);
        Awaitility.await().atMost(Duration.ofMillis(TTL_MS + 3000)).pollInterval(Duration.ofMillis(20))
                .until(() -> everyNodeSees(cluster, "batch", "silent", HealthStatus.UNHEALTHY));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReport);
        assertThat(tookMs).as("no earlier than ttl_ms after the last report").isGreaterThanOrEqualTo(TTL_MS);
        assertThat(local(cluster.channel("n1"), "batch", "silent").orElseThrow().getHealthReason())
                .isEqualTo("TTL expired: no report in 1000ms");
        // a report brings it back at once
        assertThat(report("n1", "silent", CheckResult.PASS, "back").getHealth()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void failReportMakesItUnhealthyAtOnceAndWarnGivesRoutableWarning() {
        Api.register(cluster.channel("n2"), ttlInstance("worker"));
        assertThat(report("n1", "worker", CheckResult.PASS, "").getHealth()).isEqualTo(HealthStatus.HEALTHY);

        UpdateHealthResponse failed = report("n2", "worker", CheckResult.FAIL, "disk full");
        assertThat(failed.getHealth()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(local(cluster.channel(cluster.leaderIfAny().orElseThrow().id()), "batch", "worker").orElseThrow().getHealthReason())
                .isEqualTo("reported fail: disk full");

        UpdateHealthResponse warned = report("n3", "worker", CheckResult.WARN, "queue 90% full");
        assertThat(warned.getHealth()).isEqualTo(HealthStatus.WARNING);
        assertThat(warned.getRevision()).isGreaterThan(failed.getRevision());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyNodeSees(cluster, "batch", "worker", HealthStatus.WARNING));
        List<Instance> routable = Api.registry(cluster.channel("n1")).discover(DiscoverRequest.newBuilder()
                .setService("batch").setHealthyOnly(true).setConsistency(Consistency.LINEARIZABLE).build()).getInstancesList();
        assertThat(routable).extracting(Instance::getId).contains("worker");

        // the same report again changes nothing: current revision, same status
        UpdateHealthResponse again = report("n1", "worker", CheckResult.WARN, "queue 90% full");
        assertThat(again.getHealth()).isEqualTo(HealthStatus.WARNING);
        assertThat(again.getRevision()).isGreaterThanOrEqualTo(warned.getRevision());
        Api.deregister(cluster.channel("n1"), "batch", "worker");
    }

    @Test
    void reportsReachTheOwnerFromEveryMember() {
        Api.register(cluster.channel("n3"), ttlInstance("anywhere"));
        CheckResult[] results = {CheckResult.PASS, CheckResult.FAIL, CheckResult.PASS, CheckResult.WARN, CheckResult.FAIL, CheckResult.PASS};
        HealthStatus[] expected = {HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.HEALTHY, HealthStatus.WARNING,
                HealthStatus.UNHEALTHY, HealthStatus.HEALTHY};
        for (int i = 0; i < results.length; i++) {
            String node = cluster.ids().get(i % 3);
            assertThat(report(node, "anywhere", results[i], "step " + i).getHealth()).as("step %d via %s", i, node).isEqualTo(expected[i]);
        }
        Api.deregister(cluster.channel("n1"), "batch", "anywhere");
    }

    @Test
    void reportsRideOnTheKeepAliveStreamThroughAFollower() throws Exception {
        RegisterResponse reg = Api.register(cluster.channel("n1"), ttlInstance("streamed"));
        String follower = cluster.aFollower().id();
        List<KeepAliveResponse> answers = new CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<KeepAliveRequest> stream = RegistryGrpc.newStub(cluster.channel(follower)).keepAlive(new StreamObserver<>() {
            @Override
            public void onNext(KeepAliveResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });
        try {
            stream.onNext(keepAlive(reg.getLeaseId(), CheckResult.PASS, ""));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyNodeSees(cluster, "batch", "streamed", HealthStatus.HEALTHY));
            stream.onNext(keepAlive(reg.getLeaseId(), CheckResult.WARN, "slow disk"));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyNodeSees(cluster, "batch", "streamed", HealthStatus.WARNING));
            assertThat(local(cluster.channel("n2"), "batch", "streamed").orElseThrow().getHealthReason()).isEqualTo("reported warn: slow disk");
            stream.onNext(keepAlive(reg.getLeaseId(), CheckResult.FAIL, "oom"));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyNodeSees(cluster, "batch", "streamed", HealthStatus.UNHEALTHY));
            assertThat(answers).allMatch(KeepAliveResponse::getFound);
            assertThat(ended).isNotDone();

            // a report naming no TTL check of the instance ends the stream with INVALID_ARGUMENT
            stream.onNext(KeepAliveRequest.newBuilder().setLeaseId(reg.getLeaseId())
                    .addReports(CheckReport.newBuilder().setCheckName("nope").setResult(CheckResult.PASS)).build());
            Throwable t = ended.get(10, TimeUnit.SECONDS);
            assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(t).getDescription()).contains("reports[0].check_name: 'nope'").contains("[alive]");
        } finally {
            stream.onCompleted();
            Api.deregister(cluster.channel("n1"), "batch", "streamed");
        }
    }

    private static KeepAliveRequest keepAlive(long leaseId, CheckResult result, String note) {
        // an empty check name means the instance's only TTL check
        return KeepAliveRequest.newBuilder().setLeaseId(leaseId)
                .addReports(CheckReport.newBuilder().setResult(result).setNote(note)).build();
    }

    @Test
    void ttlAndProbedChecksAreAggregated() {
        try (TcpBackend backend = TcpBackend.start()) {
            Instance in = instance("batch", "mixed", backend.port(),
                    every(200, 150, 1, 1).setTcp(TcpCheck.getDefaultInstance()),
                    every(0, 0, 0, 0).setName("alive").setTtl(TtlCheck.newBuilder().setTtlMs(60_000)));
            Api.register(cluster.channel("n2"), in);
            // tcp passes but the TTL check has not reported yet: still PENDING
            Awaitility.await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(3))
                    .until(() -> everyNodeSees(cluster, "batch", "mixed", HealthStatus.PENDING));
            assertThat(report("n3", "mixed", CheckResult.WARN, "").getHealth()).isEqualTo(HealthStatus.WARNING);
            backend.stop();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyNodeSees(cluster, "batch", "mixed", HealthStatus.UNHEALTHY));
            assertThat(local(cluster.channel("n1"), "batch", "mixed").orElseThrow().getHealthReason()).isEqualTo("tcp: connect refused");
            Api.deregister(cluster.channel("n1"), "batch", "mixed");
        }
    }

    @Test
    void badReportsAreRejectedWithActionableErrors() {
        Api.register(cluster.channel("n1"), ttlInstance("strict"));
        assertThatThrownBy(() -> report("n2", "nobody", CheckResult.PASS, ""))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains("batch/nobody");
                });
        assertThatThrownBy(() -> Api.registry(cluster.channel("n3")).updateHealth(UpdateHealthRequest.newBuilder()
                .setService("batch").setInstanceId("strict")
                .setReport(CheckReport.newBuilder().setCheckName("alive")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("report.result: 0");
                });
        assertThatThrownBy(() -> Api.registry(cluster.channel("n3")).updateHealth(UpdateHealthRequest.newBuilder()
                .setService("batch").setInstanceId("strict")
                .setReport(CheckReport.newBuilder().setCheckName("other").setResult(CheckResult.PASS)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("report.check_name: 'other' (expected: the name of a TTL check of batch/strict: [alive])");
                });
        Api.deregister(cluster.channel("n1"), "batch", "strict");
    }
}
