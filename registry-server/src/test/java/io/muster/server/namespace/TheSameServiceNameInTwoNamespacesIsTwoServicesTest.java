package io.muster.server.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three real members over real gRPC: {@code orders} in namespace {@code shop} and {@code orders} in
 * {@code default} are two services. Discover, ListServices and Watch see one namespace at a time
 * ({@code *} lists and watches every one); a request without a namespace (an old client) works in
 * {@code default}; a bad namespace is INVALID_ARGUMENT naming the field; a member restarted from a
 * snapshot keeps every instance in its namespace.
 */
@ClusterTest
class TheSameServiceNameInTwoNamespacesIsTwoServicesTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.toBuilder().electionTimeoutMs(1000).build());

    static Instance orders(String namespace, String id, int port) {
        return Api.instance("orders", id, port).toBuilder().setNamespace(namespace).build();
    }

    static List<String> ids(ManagedChannel ch, String namespace, String service) {
        return Api.registry(ch).discover(DiscoverRequest.newBuilder().setNamespace(namespace).setService(service).build())
                .getInstancesList().stream().map(Instance::getId).sorted().toList();
    }

    @Test
    void discoverAndDeregisterSeeOnlyTheirNamespaceAndAnOldClientLandsInDefault() {
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        // an old client: no namespace field at all
        Api.register(ch, Api.instance("orders", "same-id", 8080));
        Api.register(ch, orders("shop", "same-id", 9090));
        Api.register(ch, orders("shop", "shop-only", 9091));

        assertThat(ids(ch, "", "orders")).doesNotContain("shop-only").contains("same-id");
        assertThat(ids(ch, "default", "orders")).isEqualTo(ids(ch, "", "orders"));
        assertThat(ids(ch, "shop", "orders")).containsExactly("same-id", "shop-only");
        Instance inDefault = Api.registry(ch).discover(DiscoverRequest.newBuilder().setService("orders").build()).getInstancesList()
                .stream().filter(i -> i.getId().equals("same-id")).findFirst().orElseThrow();
        assertThat(inDefault.getNamespace()).isEqualTo("default");
        assertThat(inDefault.getPort()).isEqualTo(8080);

        // maintenance and deregistration of shop/orders/same-id leave default/orders/same-id alone
        Api.registry(ch).setMaintenance(SetMaintenanceRequest.newBuilder().setNamespace("shop").setService("orders")
                .setInstanceId("same-id").setEnabled(true).setReason("drain").build());
        assertThat(Api.registry(ch).discover(DiscoverRequest.newBuilder().setService("orders").setHealthyOnly(true).build())
                .getInstancesList()).extracting(Instance::getId).contains("same-id");
        assertThat(Api.registry(ch).deregister(DeregisterRequest.newBuilder().setNamespace("shop").setService("orders")
                .setInstanceId("same-id").build()).getFound()).isTrue();
        assertThat(ids(ch, "shop", "orders")).containsExactly("shop-only");
        assertThat(ids(ch, "default", "orders")).contains("same-id");
        assertThat(Api.registry(ch).deregister(DeregisterRequest.newBuilder().setNamespace("other").setService("orders")
                .setInstanceId("same-id").build()).getFound()).isFalse();
    }

    @Test
    void listServicesListsOneNamespaceOrEveryNamespaceWithAStar() {
        ManagedChannel ch = cluster.channel(cluster.awaitLeader().id());
        Api.register(ch, Api.instance("list-a", "a-1", 8080));
        Api.register(ch, Api.instance("list-b", "b-1", 8080).toBuilder().setNamespace("list-ns").build());

        List<String> inDefault = names(ch, "");
        assertThat(inDefault).contains("default/list-a").doesNotContain("list-ns/list-b");
        assertThat(names(ch, "list-ns")).containsExactly("list-ns/list-b");
        assertThat(names(ch, "*")).contains("default/list-a", "list-ns/list-b");
        assertThat(names(ch, "empty-ns")).isEmpty();
    }

    static List<String> names(ManagedChannel ch, String namespace) {
        return Api.registry(ch).listServices(ListServicesRequest.newBuilder().setNamespace(namespace).build()).getServicesList().stream()
                .map(s -> s.getNamespace() + "/" + s.getName()).toList();
    }

    @Test
    void aWatchOfOneNamespaceNeverSeesAnEventOfAnother() {
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        Api.register(ch, Api.instance("watched", "d-0", 8080));
        Api.register(ch, Api.instance("watched", "w-0", 8080).toBuilder().setNamespace("watch-ns").build());
        Watch named = Watch.open(ch, WatchRequest.newBuilder().setNamespace("watch-ns").addServices("watched").build());
        Watch whole = Watch.open(ch, WatchRequest.newBuilder().setNamespace("watch-ns").build());
        Watch everyNamespace = Watch.open(ch, WatchRequest.newBuilder().setNamespace("*").build());
        Watch oldClient = Watch.open(ch, WatchRequest.newBuilder().addServices("watched").build());

        Api.register(ch, Api.instance("watched", "d-1", 8080));
        Api.register(ch, Api.instance("other", "o-1", 8080).toBuilder().setNamespace("watch-ns").build());
        Api.register(ch, Api.instance("watched", "w-1", 8080).toBuilder().setNamespace("watch-ns").build());
        Api.register(ch, Api.instance("watched", "d-2", 8080));

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> named.ids().contains("w-1") && whole.ids().contains("w-1")
                && oldClient.ids().contains("d-2") && everyNamespace.ids().contains("d-2"));
        assertThat(named.namespacedIds()).containsExactlyInAnyOrder("watch-ns/w-0", "watch-ns/w-1");
        assertThat(whole.namespacedIds()).containsExactlyInAnyOrder("watch-ns/w-0", "watch-ns/o-1", "watch-ns/w-1");
        assertThat(oldClient.namespacedIds()).contains("default/d-0", "default/d-1", "default/d-2").allMatch(s -> s.startsWith("default/"));
        assertThat(everyNamespace.namespacedIds()).contains("default/d-0", "watch-ns/w-0", "watch-ns/o-1", "default/d-2");
    }

    @Test
    void aBadNamespaceIsInvalidArgumentNamingTheFieldAndTheAllowedForm() {
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        assertInvalid(() -> Api.register(ch, orders("Shop", "x", 8080)), "instance.namespace: 'Shop'");
        assertInvalid(() -> Api.registry(ch).discover(DiscoverRequest.newBuilder().setService("orders").setNamespace("a_b").build()),
                "namespace: 'a_b'");
        assertInvalid(() -> Api.registry(ch).discover(DiscoverRequest.newBuilder().setService("orders").setNamespace("*").build()),
                "namespace: '*'");
        assertInvalid(() -> Api.registry(ch).deregister(DeregisterRequest.newBuilder().setService("orders").setInstanceId("x")
                .setNamespace("x".repeat(64)).build()), "namespace: 'xxxx");
        assertInvalid(() -> Api.registry(ch).listServices(ListServicesRequest.newBuilder().setNamespace("-a").build()), "namespace: '-a'");
        Watch w = Watch.open(ch, WatchRequest.newBuilder().setNamespace("*").addServices("orders").build());
        Status s = w.ended.completeOnTimeout(Status.DEADLINE_EXCEEDED, 10, TimeUnit.SECONDS).join();
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("services").contains("namespace \"*\"");
    }

    static void assertInvalid(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains(message).contains("1-63 chars of [a-z0-9-]");
        });
    }

    @Test
    void aMemberRestartedFromASnapshotKeepsEveryInstanceInItsNamespace() {
        RegistryNode follower = cluster.aFollower();
        String id = follower.id();
        ManagedChannel leader = cluster.channel(cluster.awaitLeader().id());
        Api.register(leader, Api.instance("snap", "s-1", 8080).toBuilder().setLeaseTtlMs(600_000).build());
        Api.register(leader, Api.instance("snap", "s-1", 9090).toBuilder().setNamespace("snap-ns").setLeaseTtlMs(600_000).build());
        CatalogSnapshot backup = Api.snapshot(cluster.channel(id), true);
        assertThat(backup.getInstancesList().stream().filter(i -> i.getService().equals("snap")).map(i -> i.getNamespace() + ":" + i.getPort()))
                .containsExactlyInAnyOrder("default:8080", "snap-ns:9090");

        cluster.stopNode(id);
        cluster.startNode(id);
        ManagedChannel restarted = cluster.channel(id);
        Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            assertThat(local(restarted, "snap-ns")).containsExactly(9090);
            assertThat(local(restarted, "default")).containsExactly(8080);
        });
    }

    static List<Integer> local(ManagedChannel ch, String namespace) {
        return Api.registry(ch).discover(DiscoverRequest.newBuilder().setNamespace(namespace).setService("snap")
                .setConsistency(Consistency.LOCAL).build()).getInstancesList().stream().map(Instance::getPort).toList();
    }

    /** One watch stream, recording every instance it carries. */
    static final class Watch implements StreamObserver<WatchResponse> {
        final List<Instance> seen = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> ended = new CompletableFuture<>();

        static Watch open(ManagedChannel ch, WatchRequest request) {
            Watch w = new Watch();
            RegistryGrpc.newStub(ch).watch(request, w);
            return w;
        }

        List<String> ids() {
            return seen.stream().map(Instance::getId).toList();
        }

        List<String> namespacedIds() {
            return seen.stream().map(i -> i.getNamespace() + "/" + i.getId()).distinct().toList();
        }

        @Override
        public void onNext(WatchResponse value) {
            seen.addAll(value.getInstancesList());
            value.getEventsList().forEach(e -> seen.add(e.getInstance()));
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.complete(Status.OK);
        }
    }
}
