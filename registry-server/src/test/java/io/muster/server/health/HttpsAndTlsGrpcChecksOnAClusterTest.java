package io.muster.server.health;

import static io.muster.server.health.HealthFixtures.every;
import static io.muster.server.health.HealthFixtures.local;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.muster.api.v1.GrpcCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.server.health.probe.TestCertificate;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTPS and TLS gRPC checks registered through the API of a real cluster, probed by their owner
 * against real servers presenting a certificate made in the test: the certificate is verified by
 * default (untrusted: UNHEALTHY with a TLS reason on every member), the check's CA or skip-verify
 * make it HEALTHY, and the body and status options reach the prober.
 */
@ClusterTest
class HttpsAndTlsGrpcChecksOnAClusterTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    static Instance.Builder at(String id, int port) {
        return HealthFixtures.instance("secure", id, port).toBuilder();
    }

    static Instance on(String id) {
        return local(cluster.channel(cluster.nodes().get(0).id()), "secure", id).orElseThrow();
    }

    @Test
    void certificatesAreVerifiedUnlessTheCheckSaysOtherwise() throws Exception {
        TestCertificate cert = TestCertificate.selfSigned("muster-cluster-test");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
        https.createContext("/", ex -> {
            byte[] body = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        https.setExecutor(pool);
        https.start();
        Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(cert.keys().getPrivate(), cert.certificate())).build())
                .addService(new HealthStatusManager().getHealthService())
                .build().start();
        try {
            int port = https.getAddress().getPort();
            var ch = cluster.channel(cluster.aFollower().id());
            HttpCheck.Builder base = HttpCheck.newBuilder().setScheme("https").setPath("/health");
            Api.register(ch, at("untrusted", port).addChecks(every(200, 150, 1, 1).setHttp(base)).build());
            Api.register(ch, at("with-ca", port).addChecks(every(200, 150, 1, 1).setHttp(base.clone().setTlsCaPem(cert.pem())
                    .setExpectedBody("UP").addExpectedStatuses(200))).build());
            Api.register(ch, at("skip-verify", port).addChecks(every(200, 150, 1, 1).setHttp(base.clone().setTlsSkipVerify(true))).build());
            Api.register(ch, at("wrong-body", port).addChecks(every(200, 150, 1, 1).setHttp(base.clone().setTlsCaPem(cert.pem())
                    .setExpectedBody("DOWN"))).build());
            Api.register(ch, at("grpc-ca", grpc.getPort()).addChecks(every(200, 150, 1, 1)
                    .setGrpc(GrpcCheck.newBuilder().setUseTls(true).setTlsCaPem(cert.pem()))).build());
            Api.register(ch, at("grpc-untrusted", grpc.getPort()).addChecks(every(200, 150, 1, 1)
                    .setGrpc(GrpcCheck.newBuilder().setUseTls(true))).build());

            Duration bound = HealthFixtures.detectionBound(200, 1);
            for (String healthy : new String[] {"with-ca", "skip-verify", "grpc-ca"}) {
                Awaitility.await(healthy).atMost(bound).until(() -> HealthFixtures.everyNodeSees(cluster, "secure", healthy, HealthStatus.HEALTHY));
            }
            for (String unhealthy : new String[] {"untrusted", "wrong-body", "grpc-untrusted"}) {
                Awaitility.await(unhealthy).atMost(bound).until(() -> HealthFixtures.everyNodeSees(cluster, "secure", unhealthy, HealthStatus.UNHEALTHY));
            }
            assertThat(on("untrusted").getHealthReason()).startsWith("TLS: certificate not trusted");
            assertThat(on("grpc-untrusted").getHealthReason()).startsWith("TLS: certificate not trusted");
            assertThat(on("wrong-body").getHealthReason()).isEqualTo("HTTP 200, body does not contain 'DOWN'");
            assertThat(on("with-ca").getChecks(0).getHttp().getTlsCaPem()).isEqualTo(cert.pem());
        } finally {
            https.stop(0);
            pool.shutdownNow();
            grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
