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

/** A plain gRPC channel to {@code muster:///greeter} follows instances as they come and go. */
@ClusterTest
class NameResolverFollowsInstancesTest {

    static final Metadata.Key<String> BACKEND = Metadata.Key.of("backend", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path dir;

    static Server backend(String name) throws IOException {
        ServerInterceptor tag = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendHeaders(Metadata h) {
                        h.put(BACKEND, name);
                        super.sendHeaders(h);
                    }
                }, headers);
            }
        };
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), tag))
                .build().start();
    }

    static String whoAnswers(ManagedChannel ch) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        HealthGrpc.newBlockingStub(ch).withDeadlineAfter(3, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .check(HealthCheckRequest.getDefaultInstance());
        return headers.get().get(BACKEND);
    }

    static Instance at(Server s, String id) {
        return Instance.newBuilder().setService("greeter").setId(id).setHost("127.0.0.1").setPort(s.getPort()).build();
    }

    @Test
    void channelFollowsRegistrationsAndDeregistrations() throws Exception {
        Server a = backend("a");
        Server b = backend("b");
        try (LocalCluster cluster = LocalCluster.start(dir, 3);
             RegistryClient client = RegistryClient.builder(cluster.targets()).build()) {
            MusterNameResolverProvider provider = MusterNameResolverProvider.register(client);
            ManagedChannel ch = NettyChannelBuilder.forTarget("muster:///greeter")
                    .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
            try {
                Registration ra = client.register(at(a, "a"));
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "a".equals(whoAnswers(ch)));

                Registration rb = client.register(at(b, "b"));
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < 4; i++) {
                        seen.add(whoAnswers(ch));
                    }
                    return seen.equals(Set.of("a", "b"));
                });

                ra.close();
                Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                    for (int i = 0; i < 4; i++) {
                        if (!"b".equals(whoAnswers(ch))) {
                            return false;
                        }
                    }
                    return true;
                });
                rb.close();
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
