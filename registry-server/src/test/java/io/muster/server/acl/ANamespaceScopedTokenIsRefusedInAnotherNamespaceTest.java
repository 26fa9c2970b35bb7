package io.muster.server.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Access;
import io.muster.api.v1.CreatePolicyRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.Policy;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.Rule;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ACL rules per namespace, on three real members with {@code --acl-enabled}: a rule for
 * {@code orders} in {@code shop} grants nothing on {@code orders} in {@code default}
 * (PERMISSION_DENIED naming the rule and the namespace); a rule without a namespace (every policy
 * written before namespaces) keeps meaning {@code default}; {@code *} covers every namespace; the
 * bootstrap token may do everything everywhere; a watch and a listing of every namespace carry only
 * what the token may read.
 */
@ClusterTest
class ANamespaceScopedTokenIsRefusedInAnotherNamespaceTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).build());

    static Rule rule(Access access, String namespace, String prefix) {
        return Tokens.rule(access, prefix).toBuilder().setNamespace(namespace).build();
    }

    static RegisterRequest register(String namespace, String service, String id) {
        return RegisterRequest.newBuilder().setInstance(Api.instance(service, id, 8080).toBuilder().setNamespace(namespace)).build();
    }

    static void assertDenied(Runnable call, String rule) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains(rule);
        });
    }

    @Test
    void aTokenForOrdersInShopCannotTouchOrdersInDefault() {
        String root = Tokens.bootstrapToken(cluster);
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        // the bootstrap token writes in every namespace
        Tokens.with(Api.registry(ch), root).register(register("", "orders", "d-1"));
        Tokens.with(Api.registry(ch), root).register(register("shop", "orders", "s-1"));

        String shop = Tokens.tokenWith(ch, root, "shop-orders", rule(Access.WRITE, "shop", "orders"));
        var asShop = Tokens.with(Api.registry(ch), shop);
        asShop.register(register("shop", "orders-eu", "s-2"));
        assertThat(asShop.discover(DiscoverRequest.newBuilder().setNamespace("shop").setService("orders").build()).getInstancesList())
                .extracting(Instance::getId).containsExactly("s-1");
        assertDenied(() -> asShop.register(register("default", "orders", "d-2")), "write on service \"orders\" in namespace \"default\"");
        assertDenied(() -> asShop.register(register("", "orders", "d-2")), "write on service \"orders\" in namespace \"default\"");
        assertDenied(() -> asShop.discover(DiscoverRequest.newBuilder().setService("orders").build()),
                "read on service \"orders\" in namespace \"default\"");
        assertDenied(() -> asShop.discover(DiscoverRequest.newBuilder().setNamespace("shop-2").setService("orders").build()),
                "read on service \"orders\" in namespace \"shop-2\"");

        // a listing and a watch of every namespace carry only shop/orders*
        assertThat(asShop.listServices(ListServicesRequest.newBuilder().setNamespace("*").build()).getServicesList())
                .allMatch(s -> s.getNamespace().equals("shop") && s.getName().startsWith("orders")).isNotEmpty();
        RecordedWatch watch = new RecordedWatch();
        Tokens.with(RegistryGrpc.newStub(ch), shop).watch(WatchRequest.newBuilder().setNamespace("*").build(), watch);
        Tokens.with(Api.registry(ch), root).register(register("default", "orders", "d-3"));
        asShop.register(register("shop", "orders", "s-3"));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> watch.namespacedIds().contains("shop/s-3"));
        assertThat(watch.namespacedIds()).allMatch(s -> s.startsWith("shop/")).contains("shop/s-1", "shop/s-2");
    }

    @Test
    void aRuleWithoutANamespaceMeansDefaultAndAStarMeansEveryNamespace() {
        String root = Tokens.bootstrapToken(cluster);
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        String old = Tokens.tokenWith(ch, root, "pay-read-default", Tokens.rule(Access.READ, "pay"));
        String everywhere = Tokens.tokenWith(ch, root, "pay-read-everywhere", rule(Access.READ, "*", "pay"));
        Tokens.with(Api.registry(ch), root).register(register("", "pay", "p-1"));
        Tokens.with(Api.registry(ch), root).register(register("eu", "pay", "p-2"));

        DiscoverRequest inDefault = DiscoverRequest.newBuilder().setService("pay").build();
        DiscoverRequest inEu = DiscoverRequest.newBuilder().setNamespace("eu").setService("pay").build();
        assertThat(Tokens.with(Api.registry(ch), old).discover(inDefault).getInstancesCount()).isEqualTo(1);
        assertDenied(() -> Tokens.with(Api.registry(ch), old).discover(inEu), "read on service \"pay\" in namespace \"eu\"");
        assertThat(Tokens.with(Api.registry(ch), everywhere).discover(inDefault).getInstancesCount()).isEqualTo(1);
        assertThat(Tokens.with(Api.registry(ch), everywhere).discover(inEu).getInstancesCount()).isEqualTo(1);
        assertDenied(() -> Tokens.with(Api.registry(ch), everywhere).register(register("eu", "pay", "p-3")),
                "write on service \"pay\" in namespace \"eu\"");
    }

    @Test
    void aPolicyWithABadNamespaceIsInvalidArgumentNamingTheRule() {
        String root = Tokens.bootstrapToken(cluster);
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        for (Rule bad : new Rule[]{rule(Access.READ, "Shop", "x"), rule(Access.READ, "shop/x", ""), rule(Access.OPERATOR, "shop", "")}) {
            assertThatThrownBy(() -> Tokens.acl(ch, root).createPolicy(CreatePolicyRequest.newBuilder()
                    .setPolicy(Policy.newBuilder().setName("bad-ns").addRules(bad)).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("rules[0].namespace: '" + bad.getNamespace() + "'");
                    });
        }
    }

    /** Records the instances of a watch as {@code namespace/id}. */
    static final class RecordedWatch implements StreamObserver<WatchResponse> {
        final List<String> seen = new CopyOnWriteArrayList<>();

        List<String> namespacedIds() {
            return List.copyOf(seen);
        }

        @Override
        public void onNext(WatchResponse value) {
            value.getInstancesList().forEach(i -> seen.add(i.getNamespace() + "/" + i.getId()));
            value.getEventsList().forEach(e -> seen.add(e.getInstance().getNamespace() + "/" + e.getInstance().getId()));
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
