package io.muster.server.health.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.muster.api.v1.GrpcCheck;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.muster.testkit.ClusterTest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** gRPC checks with {@code use_tls} against a real TLS gRPC server: verified by default, the check's CA or skip-verify pass. */
@ClusterTest
class GrpcChecksOverTlsTest {

    private final TestCertificate cert = TestCertificate.selfSigned("muster-test-grpc");
    private EventLoopGroup loop;
    private GrpcProber prober;
    private Server server;

    @BeforeEach
    void start() throws Exception {
        loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        prober = new GrpcProber(loop);
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sslContext(GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forServer(cert.keys().getPrivate(),
                        cert.certificate())).build())
                .addService(new HealthStatusManager().getHealthService())
                .build().start();
    }

    @AfterEach
    void stop() throws Exception {
        prober.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private ProbeResult probe(GrpcCheck check) throws Exception {
        try (Probe p = prober.open("127.0.0.1", server.getPort(), check, Duration.ofSeconds(3))) {
            return p.run().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTlsCheckWithTheCaIsServing() throws Exception {
        ProbeResult r = probe(GrpcCheck.newBuilder().setUseTls(true).setTlsCaPem(cert.pem()).build());
        assertThat(r.ok()).as(r.reason()).isTrue();
        assertThat(r.reason()).isEqualTo("gRPC SERVING");
    }

    @Test
    void aTlsCheckWithSkipVerifyIsServing() throws Exception {
        ProbeResult r = probe(GrpcCheck.newBuilder().setUseTls(true).setTlsSkipVerify(true).build());
        assertThat(r.ok()).as(r.reason()).isTrue();
    }

    @Test
    void anUntrustedCertificateFailsWithATlsReason() throws Exception {
        ProbeResult r = probe(GrpcCheck.newBuilder().setUseTls(true).build());
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).startsWith("TLS: certificate not trusted");
    }

    @Test
    void aPlaintextCheckOfATlsServerFails() throws Exception {
        assertThat(probe(GrpcCheck.getDefaultInstance()).ok()).isFalse();
    }
}
