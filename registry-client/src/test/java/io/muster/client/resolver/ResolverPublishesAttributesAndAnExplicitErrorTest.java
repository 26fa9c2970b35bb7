package io.muster.client.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.Server;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.client.RegistryClient;
import io.muster.testkit.UnitTest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the resolver hands gRPC: one address per routable instance with its id, weight, zone and
 * metadata; {@code UNAVAILABLE: no healthy instances of X} when none is left; usable per channel.
 */
@UnitTest
class ResolverPublishesAttributesAndAnExplicitErrorTest {

    final BlockingQueue<ServerCallStreamObserver<WatchResponse>> watches = new LinkedBlockingQueue<>();
    Server server;
    RegistryClient client;

    @BeforeEach
    void start() throws Exception {
        server = InProcessServerBuilder.forName("resolver-m1:1").directExecutor().addService(new RegistryGrpc.RegistryImplBase() {
            @Override
            public void watch(WatchRequest request, StreamObserver<WatchResponse> out) {
                watches.add((ServerCallStreamObserver<WatchResponse>) out);
            }
        }).build().start();
        client = RegistryClient.builder("resolver-m1:1").channelBuilder(t -> InProcessChannelBuilder.forName(t).directExecutor())
                .callbackExecutor(MoreExecutors.directExecutor()).build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    static Instance inst(String id, int port, int weight, String zone, HealthStatus health) {
        return Instance.newBuilder().setService("orders").setId(id).setHost("127.0.0.1").setPort(port).setWeight(weight).setZone(zone)
                .putMetadata("version", "v" + port).setHealth(health).build();
    }

    @Test
    void addressesCarryWeightZoneAndMetadataAndAnEmptySetIsAnExplicitError() throws Exception {
        List<NameResolver.ResolutionResult> results = new CopyOnWriteArrayList<>();
        List<Status> errors = new CopyOnWriteArrayList<>();
        NameResolver.Args args = NameResolver.Args.newBuilder().setDefaultPort(443).setProxyDetector(a -> null)
                .setSynchronizationContext(new SynchronizationContext((t, e) -> {
                    throw new AssertionError(e);
                }))
                .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
                    @Override
                    public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
                        return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
                    }
                })
                .setOffloadExecutor(MoreExecutors.directExecutor())
                .build();
        NameResolver resolver = new MusterNameResolverProvider(client).newNameResolver(URI.create("muster:///orders"), args);
        resolver.start(new NameResolver.Listener2() {
            @Override
            public void onResult(NameResolver.ResolutionResult r) {
                results.add(r);
            }

            @Override
            public void onError(Status error) {
                errors.add(error);
            }
        });
        ServerCallStreamObserver<WatchResponse> watch = watches.poll(5, TimeUnit.SECONDS);
        watch.onNext(WatchResponse.newBuilder().setKind(WatchResponse.Kind.SNAPSHOT).setRevision(3).setSnapshotComplete(true)
                .addInstances(inst("a", 8001, 5, "eu-1a", HealthStatus.HEALTHY))
                .addInstances(inst("b", 8002, 0, "", HealthStatus.WARNING))
                .addInstances(inst("c", 8003, 1, "eu-1b", HealthStatus.UNHEALTHY))
                .build());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> results.size() == 1);
        var groups = results.get(0).getAddressesOrError().getValue();
        assertThat(groups).hasSize(2);
        var a = groups.get(0).getAttributes();
        assertThat(((InetSocketAddress) groups.get(0).getAddresses().get(0)).getPort()).isEqualTo(8001);
        assertThat(a.get(MusterAttributes.INSTANCE_ID)).isEqualTo("a");
        assertThat(a.get(MusterAttributes.WEIGHT)).isEqualTo(5);
        assertThat(a.get(MusterAttributes.ZONE)).isEqualTo("eu-1a");
        assertThat(a.get(MusterAttributes.METADATA)).containsEntry("version", "v8001");
        var b = groups.get(1).getAttributes();
        assertThat(b.get(MusterAttributes.WEIGHT)).as("no weight set: 1").isEqualTo(1);
        assertThat(b.get(MusterAttributes.ZONE)).isNull();

        WatchResponse.Builder gone = WatchResponse.newBuilder().setKind(WatchResponse.Kind.EVENTS).setRevision(5);
        gone.addEvents(Event.newBuilder().setType(EventType.DEREGISTERED).setRevision(4).setInstance(inst("a", 8001, 5, "eu-1a", HealthStatus.HEALTHY)));
        gone.addEvents(Event.newBuilder().setType(EventType.EXPIRED).setRevision(5).setInstance(inst("b", 8002, 0, "", HealthStatus.WARNING)));
        watch.onNext(gone.build());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> results.size() == 2);
        Status empty = results.get(1).getAddressesOrError().getStatus();
        assertThat(empty.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(empty.getDescription()).startsWith("no healthy instances of orders");
        assertThat(errors).isEmpty();
        resolver.shutdown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(watch::isCancelled);
    }

    @Test
    void aChannelUsesItsOwnRegistryAndTheProcessWideOneStaysUntouched() throws Exception {
        NameResolverRegistry own = MusterNameResolverProvider.registryOf(client);
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("muster")).isNull();
        @SuppressWarnings("deprecation")
        ManagedChannel ch = io.grpc.ManagedChannelBuilder.forTarget("muster:///orders")
                .nameResolverFactory(own.asFactory()).usePlaintext().build();
        try {
            ch.getState(true); // leaves IDLE: starts the resolver
            assertThat(watches.poll(5, TimeUnit.SECONDS)).as("the resolver's watch").isNotNull();
        } finally {
            ch.shutdownNow();
        }
    }
}
