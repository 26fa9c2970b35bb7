package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Writes accepted by any member, reads linearizable everywhere, local reads converge. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class RegisterOnAnyNodeTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @Test
    void registrationOnAFollowerIsVisibleOnEveryNodeAtTheSameRevision() {
        RegistryNode follower = cluster.aFollower();
        Instance in = Api.instance("orders", "orders-1", 8081).toBuilder()
                .addTags("v1").putMetadata("version", "1.2.3").setZone("z1").setWeight(7).build();
        RegisterResponse r = Api.register(cluster.channel(follower.id()), in);
        assertThat(r.getRevision()).isPositive();
        assertThat(r.getInstanceId()).isEqualTo("orders-1");
        assertThat(r.getUpdated()).isFalse();
        assertThat(r.getLeaseTtlMs()).isEqualTo(10_000);

        for (String id : cluster.ids()) {
            DiscoverResponse d = Api.discover(cluster.channel(id), "orders", Consistency.LINEARIZABLE);
            assertThat(d.getRevision()).as("revision on %s", id).isGreaterThanOrEqualTo(r.getRevision());
            assertThat(d.getInstancesList()).hasSize(1);
            Instance got = d.getInstances(0);
            assertThat(got.getModRevision()).isEqualTo(r.getRevision());
            assertThat(got.getHost()).isEqualTo("127.0.0.1");
            assertThat(got.getPort()).isEqualTo(8081);
            assertThat(got.getTagsList()).containsExactly("v1");
            assertThat(got.getMetadataMap()).containsEntry("version", "1.2.3");
            assertThat(got.getZone()).isEqualTo("z1");
            assertThat(got.getWeight()).isEqualTo(7);
            assertThat(got.getHealth()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(got.getLeaseId()).isEqualTo(r.getLeaseId());
        }
        // applied state converges everywhere: the same revision in every catalog
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(cluster.nodes().stream().map(Gauges::revision).distinct()).hasSize(1));
    }

    @Test
    void reRegisteringTheSameIdUpdatesItAndKeepsTheLease() {
        RegistryNode follower = cluster.aFollower();
        Instance in = Api.instance("billing", "", 9000);
        RegisterResponse first = Api.register(cluster.channel(follower.id()), in);
        assertThat(first.getInstanceId()).isEqualTo("127.0.0.1:9000");
        RegisterResponse second = Api.register(cluster.channel(cluster.awaitLeader().id()), in.toBuilder().addTags("blue").build());
        assertThat(second.getUpdated()).isTrue();
        assertThat(second.getLeaseId()).isEqualTo(first.getLeaseId());
        assertThat(second.getRevision()).isGreaterThan(first.getRevision());
        DiscoverResponse d = Api.discover(cluster.channel(follower.id()), "billing", Consistency.LINEARIZABLE);
        assertThat(d.getInstancesList()).singleElement().satisfies(i -> {
            assertThat(i.getTagsList()).containsExactly("blue");
            assertThat(i.getCreateRevision()).isEqualTo(first.getRevision());
        });
    }

    @Test
    void deregisterRemovesAtOnceAndIsIdempotent() {
        String follower = cluster.aFollower().id();
        Api.register(cluster.channel(follower), Api.instance("carts", "c1", 7000));
        Api.register(cluster.channel(follower), Api.instance("carts", "c2", 7001));
        var gone = Api.deregister(cluster.channel(follower), "carts", "c1");
        assertThat(gone.getFound()).isTrue();
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "carts", Consistency.LINEARIZABLE).getInstancesList())
                    .extracting(Instance::getId).containsExactly("c2");
        }
        var again = Api.deregister(cluster.channel(follower), "carts", "c1");
        assertThat(again.getFound()).isFalse();
        assertThat(again.getRevision()).isGreaterThanOrEqualTo(gone.getRevision());
    }

    @Test
    void localReadsConvergeAndListServicesCountsInstances() {
        String follower = cluster.aFollower().id();
        RegisterResponse r = Api.register(cluster.channel(follower), Api.instance("search", "s1", 6000));
        for (String id : cluster.ids()) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(Api.discover(cluster.channel(id), "search", Consistency.LOCAL).getRevision())
                            .isGreaterThanOrEqualTo(r.getRevision()));
        }
        var services = Api.registry(cluster.channel(follower)).listServices(ListServicesRequest.getDefaultInstance());
        assertThat(services.getServicesList()).anySatisfy(s -> {
            assertThat(s.getName()).isEqualTo("search");
            assertThat(s.getInstances()).isEqualTo(1);
            assertThat(s.getHealthy()).isEqualTo(1);
        });
    }

    @Test
    void concurrentRegistrationsShareLogEntriesAndEachGetsItsOwnRevision() throws Exception {
        RegistryNode leader = cluster.awaitLeader();
        int n = 300;
        long entriesBefore = Gauges.lastLogIndex(leader);
        var stub = io.muster.api.v1.RegistryGrpc.newFutureStub(cluster.channel(leader.id()))
                .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS);
        java.util.List<com.google.common.util.concurrent.ListenableFuture<RegisterResponse>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(stub.register(io.muster.api.v1.RegisterRequest.newBuilder()
                    .setInstance(Api.instance("batched", "b-" + i, 10_000 + i)).build()));
        }
        java.util.List<Long> revisions = new java.util.ArrayList<>();
        for (var call : calls) {
            revisions.add(call.get(30, java.util.concurrent.TimeUnit.SECONDS).getRevision());
        }
        long entries = Gauges.lastLogIndex(leader) - entriesBefore;
        assertThat(revisions).doesNotHaveDuplicates();
        assertThat(entries).as("log entries for %d registrations (group commit)", n).isLessThan(n);
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "batched", Consistency.LINEARIZABLE).getInstancesList())
                    .as("instances on %s", id).hasSize(n);
        }
    }
}
