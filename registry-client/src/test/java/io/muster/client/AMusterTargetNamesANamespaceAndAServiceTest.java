package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.muster.api.v1.Instance;
import io.muster.client.resolver.MusterNameResolverProvider;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import io.muster.client.resolver.MusterNameResolverProvider;
import io.grpc.NameResolver;
import io.grpc.SynchronizationContext;
import java.net.URI;
import java.util.List;

/**
 * {@code muster:///shop/greeter} follows service {@code greeter} of namespace {@code shop} on real
 * members, and never an instance of {@code greeter} in {@code default}; {@code muster:///greeter}
 * follows the client's namespace; a target with a bad namespace or too many segments is refused
 * when the channel is built, naming the expected form. The client registers in its own namespace
 * and the instances it sees carry theirs.
 */
@ClusterTest
class AMusterTargetNamesANamespaceAndAServiceTest {

    @TempDir
    Path dir;

    static Instance at(Server s, String namespace, String id) {
        return Instance.newBuilder().setNamespace(namespace).setService("greeter").setId(id).setHost("127.0.0.1").setPort(s.getPort()).build();
    }

    @Test
    void theResolverAndTheClientStayInTheirNamespace() throws Exception {
        Server inShop = NameResolverFollowsInstancesTest.backend("in-shop");
        Server inDefault = NameResolverFollowsInstancesTest.backend("in-default");
        try (LocalCluster cluster = LocalCluster.start(dir, 3);
             RegistryClient client = RegistryClient.builder(cluster.targets()).build();
             RegistryClient shopClient = RegistryClient.builder(cluster.targets()).namespace("shop").build()) {
            var registry = MusterNameResolverProvider.registryOf(client);
            ManagedChannel shop = NettyChannelBuilder.forTarget("muster:///shop/greeter").nameResolverFactory(registry.asFactory())
                    .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
            ManagedChannel plain = NettyChannelBuilder.forTarget("muster:///greeter").nameResolverFactory(registry.asFactory())
                    .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
            ManagedChannel shopByDefault = NettyChannelBuilder.forTarget("muster:///greeter")
                    .nameResolverFactory(MusterNameResolverProvider.registryOf(shopClient).asFactory())
                    .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
            try {
                // registered without a namespace: the shop client's own
                Registration a = shopClient.register(at(inShop, "", "a"));
                Registration b = client.register(at(inDefault, "", "b"));
                assertThat(shopClient.discover("greeter", DiscoverFilter.all())).extracting(Instance::getNamespace).containsExactly("shop");
                assertThat(client.discover("shop", "greeter", DiscoverFilter.all())).extracting(Instance::getId).containsExactly("a");
                assertThat(client.discover("greeter", DiscoverFilter.all())).extracting(Instance::getId).containsExactly("b");
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> "in-shop".equals(NameResolverFollowsInstancesTest.whoAnswers(shop))
                                && "in-default".equals(NameResolverFollowsInstancesTest.whoAnswers(plain))
                                && "in-shop".equals(NameResolverFollowsInstancesTest.whoAnswers(shopByDefault)));
                for (int i = 0; i < 8; i++) {
                    assertThat(NameResolverFollowsInstancesTest.whoAnswers(shop)).isEqualTo("in-shop");
                    assertThat(NameResolverFollowsInstancesTest.whoAnswers(plain)).isEqualTo("in-default");
                }
                a.close();
                b.close();
            } finally {
                shop.shutdownNow();
                plain.shutdownNow();
                shopByDefault.shutdownNow();
            }
        } finally {
            inShop.shutdownNow();
            inDefault.shutdownNow();
        }
    }

    @Test
    void aTargetWithABadNamespaceOrTooManySegmentsIsRefused() {
        try (RegistryClient client = RegistryClient.builder("127.0.0.1:1").build()) {
            MusterNameResolverProvider provider = new MusterNameResolverProvider(client);
            NameResolver.Args args = NameResolver.Args.newBuilder().setDefaultPort(443).setProxyDetector(a -> null)
                    .setSynchronizationContext(new SynchronizationContext((t, e) -> {
                    }))
                    .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
                        @Override
                        public NameResolver.ConfigOrError parseServiceConfig(java.util.Map<String, ?> raw) {
                            return NameResolver.ConfigOrError.fromConfig(raw);
                        }
                    }).build();
            for (String target : List.of("muster:///Shop/greeter", "muster:///a/b/c", "muster:///shop/", "muster:///")) {
                assertThatThrownBy(() -> provider.newNameResolver(URI.create(target), args))
                        .as(target).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("expected:");
            }
            assertThatThrownBy(() -> RegistryClient.builder("127.0.0.1:1").namespace("a_b"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("namespace: 'a_b' (expected: 1-63 chars of [a-z0-9-], starting and ending with [a-z0-9])");
        }
    }
}
