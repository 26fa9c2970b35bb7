package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.local;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.SetMaintenanceResponse;
import io.muster.api.v1.TransferLeadershipRequest;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Maintenance on a real 3-member cluster: set through a follower (forwarded), replicated to every
 * member, not routable while set, health checks still probed and reported, the lease still expires,
 * watchers get MAINTENANCE_CHANGED with the flag, and the flag survives a compacted log, a member
 * restart and a leader change.
 */
@ClusterTest
class AnInstanceInMaintenanceKeepsItsLeaseAndChecksTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    static SetMaintenanceResponse maint(Channel ch, String service, String id, boolean on, String reason) {
        return Api.registry(ch).setMaintenance(SetMaintenanceRequest.newBuilder().setService(service).setInstanceId(id)
                .setEnabled(on).setReason(reason).build());
    }

    static List<String> healthyIds(Channel ch, String service) {
        return Api.registry(ch).discover(DiscoverRequest.newBuilder().setService(service).setHealthyOnly(true).build())
                .getInstancesList().stream().map(Instance::getId).toList();
    }

    static boolean everyMemberSees(String service, String id, boolean maintenance) {
        return cluster.nodes().stream().allMatch(n ->
                local(cluster.channel(n.id()), service, id).map(Instance::getMaintenance).orElse(!maintenance) == maintenance);
    }

    @Test
    void aMaintainedInstanceIsNotRoutableButItsChecksGoOn() {
        try (HttpBackend backend = HttpBackend.start()) {
            Channel follower = cluster.channel(cluster.aFollower().id());
            Api.register(follower, HealthFixtures.instance("shop", "s1", backend.port(),
                    every(200, 150, 1, 1).setHttp(HttpCheck.newBuilder().setPath("/health"))));
            Api.register(follower, HealthFixtures.instance("shop", "s2", backend.port()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> HealthFixtures.everyNodeSees(cluster, "shop", "s1", HealthStatus.HEALTHY));
            assertThat(healthyIds(follower, "shop")).containsExactlyInAnyOrder("s1", "s2");

            try (WatchRecorder watch = new WatchRecorder(follower, "shop")) {
                Awaitility.await().atMost(Duration.ofSeconds(5)).untilTrue(watch.snapshotComplete);
                SetMaintenanceResponse on = maint(follower, "shop", "s1", true, "kernel upgrade");
                assertThat(on.getChanged()).isTrue();
                assertThat(on.getInstance().getMaintenance()).isTrue();
                assertThat(on.getInstance().getMaintenanceReason()).isEqualTo("kernel upgrade");

                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyMemberSees("shop", "s1", true));
                assertThat(healthyIds(follower, "shop")).containsExactly("s2");
                assertThat(Api.registry(follower).listServices(ListServicesRequest.getDefaultInstance()).getServicesList())
                        .filteredOn(s -> s.getName().equals("shop")).singleElement()
                        .satisfies(s -> assertThat(s.getHealthy()).isEqualTo(1));
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.events.stream()
                        .anyMatch(e -> e.getType() == EventType.MAINTENANCE_CHANGED && e.getInstance().getMaintenance()
                                && e.getRevision() == on.getRevision()));

                // the checks keep running: the backend failing is still seen, and reported
                backend.respond(503);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> HealthFixtures.everyNodeSees(cluster, "shop", "s1", HealthStatus.UNHEALTHY));
                Instance s1 = local(follower, "shop", "s1").orElseThrow();
                assertThat(s1.getMaintenance()).isTrue();
                assertThat(s1.getHealthReason()).isEqualTo("HTTP 503");
                backend.respond(200);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> HealthFixtures.everyNodeSees(cluster, "shop", "s1", HealthStatus.HEALTHY));
                assertThat(healthyIds(follower, "shop")).containsExactly("s2");

                // the same state again is not a change
                SetMaintenanceResponse again = maint(follower, "shop", "s1", true, "kernel upgrade");
                assertThat(again.getChanged()).isFalse();

                SetMaintenanceResponse off = maint(follower, "shop", "s1", false, "ignored when off");
                assertThat(off.getChanged()).isTrue();
                assertThat(off.getInstance().getMaintenanceReason()).isEmpty();
                assertThat(healthyIds(follower, "shop")).containsExactlyInAnyOrder("s1", "s2");
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> watch.events.stream()
                        .anyMatch(e -> e.getType() == EventType.MAINTENANCE_CHANGED && !e.getInstance().getMaintenance()));
                Optional<Event> firstOff = watch.events.stream().filter(e -> e.getType() == EventType.MAINTENANCE_CHANGED
                        && !e.getInstance().getMaintenance()).findFirst();
                assertThat(firstOff.orElseThrow().getRevision()).isEqualTo(off.getRevision());
            }
        }
    }

    @Test
    void anUnknownInstanceIsNotFoundAndABadRequestNamesItsField() {
        Channel ch = cluster.channel(cluster.aFollower().id());
        assertThatThrownBy(() -> maint(ch, "shop", "nobody", true, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("set_maintenance: 'shop/nobody' (expected: a registered instance)");
                });
        assertThatThrownBy(() -> maint(ch, "shop", "s1", true, "r".repeat(1025)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("reason: 1025 chars (expected: at most 1024 chars)");
                });
        assertThatThrownBy(() -> maint(ch, "Bad_Service", "s1", true, ""))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("service: 'Bad_Service'");
                });
    }

    @Test
    void theLeaseStillExpiresWhileInMaintenance() {
        Channel ch = cluster.channel(cluster.aFollower().id());
        Api.register(ch, Api.instance("short", "t1", 1).toBuilder().setLeaseTtlMs(1_000).build());
        maint(ch, "short", "t1", true, "no keep-alives on purpose");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes().stream()
                .allMatch(n -> local(cluster.channel(n.id()), "short", "t1").isEmpty()));
    }

    @Test
    void theFlagSurvivesACompactedLogARestartAndALeaderChange() {
        RegistryNode leader = cluster.awaitLeader();
        Channel ch = cluster.channel(leader.id());
        Api.register(ch, HealthFixtures.instance("kept", "k1", 1));
        maint(ch, "kept", "k1", true, "kept across everything");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyMemberSees("kept", "k1", true));
        // every member's log compacted into a snapshot that holds the flag
        for (RegistryNode n : cluster.nodes()) {
            Api.snapshot(cluster.channel(n.id()), true);
        }
        String restarted = cluster.aFollower().id();
        cluster.stopNode(restarted);
        cluster.startNode(restarted);
        Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> local(cluster.channel(restarted), "kept", "k1").map(Instance::getMaintenance).orElse(false));

        String target = cluster.nodes().stream().map(RegistryNode::id).filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        Api.cluster(ch).transferLeadership(TransferLeadershipRequest.newBuilder().setTargetId(target).build());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.leaderIfAny().map(n -> n.id().equals(target)).orElse(false));
        // a re-registration through the new leader keeps the operator's flag
        Api.register(cluster.channel(target), HealthFixtures.instance("kept", "k1", 1).toBuilder().setWeight(7).build());
        Instance k1 = Api.discover(cluster.channel(target), "kept", Consistency.LINEARIZABLE).getInstances(0);
        assertThat(k1.getWeight()).isEqualTo(7);
        assertThat(k1.getMaintenance()).isTrue();
        assertThat(k1.getMaintenanceReason()).isEqualTo("kept across everything");
        assertThat(healthyIds(cluster.channel(target), "kept")).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> everyMemberSees("kept", "k1", true));
    }
}
