package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.Instance;
import io.muster.client.resolver.MusterNameResolverProvider;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Registration.maintenance(true)} takes an instance out of a {@link ServiceView}'s routable
 * set, healthy discovery and a {@code muster:///} channel, while its lease stays alive; off brings
 * it back.
 */
@ClusterTest
class AnInstanceInMaintenanceIsDrainedByViewsAndTheResolverTest {

    @TempDir
    Path dir;

    static Set<String> answering(ManagedChannel ch) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            seen.add(NameResolverFollowsInstancesTest.whoAnswers(ch));
        }
        return seen;
    }

    @Test
    void maintenanceDrainsTheInstanceEverywhereAndOffBringsItBack() throws Exception {
        Server a = NameResolverFollowsInstancesTest.backend("a");
        Server b = NameResolverFollowsInstancesTest.backend("b");
        try (LocalCluster cluster = LocalCluster.start(dir, 3);
             RegistryClient client = RegistryClient.builder(cluster.targets()).build();
             Registration ra = client.register(NameResolverFollowsInstancesTest.at(a, "a").toBuilder().setLeaseTtlMs(2_000).build());
             Registration rb = client.register(NameResolverFollowsInstancesTest.at(b, "b"));
             ServiceView view = client.serviceView("greeter")) {
            MusterNameResolverProvider provider = MusterNameResolverProvider.register(client);
            ManagedChannel ch = NettyChannelBuilder.forTarget("muster:///greeter")
                    .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
            try {
                view.whenReady().join();
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> answering(ch).equals(Set.of("a", "b")));

                assertThat(ra.maintenance(true, "deploying").join().getChanged()).isTrue();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        view.routable().stream().map(Instance::getId).toList().equals(java.util.List.of("b")));
                assertThat(view.instances()).filteredOn(i -> i.getId().equals("a")).singleElement()
                        .satisfies(i -> assertThat(i.getMaintenanceReason()).isEqualTo("deploying"));
                assertThat(client.discover("greeter", DiscoverFilter.healthy())).extracting(Instance::getId).containsExactly("b");
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> answering(ch).equals(Set.of("b")));

                // its keep-alives go on: for three lease TTLs it stays registered under the same lease
                long lease = ra.leaseId();
                Awaitility.await().during(Duration.ofMillis(6_000)).atMost(Duration.ofSeconds(10)).until(() ->
                        client.discover("greeter", DiscoverFilter.all()).stream()
                                .anyMatch(i -> i.getId().equals("a") && i.getLeaseId() == lease && i.getMaintenance()));
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.setMaintenance("greeter", "ghost", true, "x"))
                        .satisfies(e -> assertThat(io.grpc.Status.fromThrowable(e).getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));

                assertThat(client.setMaintenance("greeter", "a", false, null).getChanged()).isTrue();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> view.routable().size() == 2);
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> answering(ch).equals(Set.of("a", "b")));
            } finally {
                ch.shutdownNow();
                provider.deregister();
            }
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }
}
