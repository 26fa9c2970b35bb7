package io.muster.client.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.client.DiscoverFilter;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.RegistryGrpc;
import io.netty.handler.ssl.SslContext;
import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.client.RegistryClient;
import io.muster.client.RetryPolicy;
import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member's certificate and key are replaced on disk (as {@code muster cert create-member --force}
 * does: each file renamed into place) while clients call it, long-lived ones and ones that open a
 * new connection per call: no call fails, and new handshakes present the new certificate, with no
 * restart.
 */
@ClusterTest
class RotatingThePublicCertificateUnderLoadFailsNoRequestTest {

    @TempDir
    Path dir;

    @Test
    void rotatedFilesAreServedToNewHandshakesWhileEveryCallSucceeds() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca");
        TlsPorts.Files files = TlsPorts.Files.write(ca, dir, "app");
        BigInteger first = IssuedCertificate.readCertificate(files.memberCert()).getSerialNumber();
        Duration deadline = Duration.ofSeconds(5);
        RetryPolicy noRetryPastTheDeadline = new RetryPolicy(deadline, deadline, Duration.ofMillis(50), Duration.ofMillis(500));
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000).toBuilder()
                .tls(new PublicTls(files.memberCert(), files.memberKey(), null, PublicTls.ClientAuth.NONE, Duration.ofMillis(100)))
                .build());
             RegistryClient longLived = RegistryClient.builder(cluster.targets()).tls(files.ca()).retryPolicy(noRetryPastTheDeadline).build()) {
            int port = cluster.node("n1").grpcPort();
            longLived.registerOnce(TlsPorts.instance("orders", "o1", 8001));
            assertThat(TlsPorts.presentedSerial(port, ca.certificate().certificate())).isEqualTo(first);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong calls = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            ExecutorService load = Executors.newFixedThreadPool(3);
            List<Future<?>> workers = new ArrayList<>();
            // one long-lived client (its connection was set up before the rotation) ...
            workers.add(load.submit(() -> {
                while (running.get()) {
                    call(() -> longLived.discover("orders", DiscoverFilter.all()), calls, failures);
                }
            }));
            // ... and two that open a new connection, so a new handshake, for every call, with no retry:
            // a handshake that failed would be a failed call here
            SslContext trustTheCa = GrpcSslContexts.forClient().trustManager(files.ca().toFile()).build();
            for (int w = 0; w < 2; w++) {
                workers.add(load.submit(() -> {
                    while (running.get()) {
                        call(() -> {
                            ManagedChannel fresh = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(trustTheCa).build();
                            try {
                                return RegistryGrpc.newBlockingStub(fresh).withDeadlineAfter(5, TimeUnit.SECONDS)
                                        .discover(DiscoverRequest.newBuilder().setService("orders").build());
                            } finally {
                                fresh.shutdownNow();
                            }
                        }, calls, failures);
                    }
                }));
            }
            Awaitility.await("calls before the rotation").atMost(Duration.ofSeconds(20)).until(() -> calls.get() >= 50);

            IssuedCertificate rotated = TlsPorts.member(ca);
            rotated.write(files.memberCert(), files.memberKey());
            BigInteger second = rotated.certificate().getSerialNumber();
            assertThat(second).isNotEqualTo(first);
            Awaitility.await("new handshakes present the rotated certificate").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> TlsPorts.presentedSerial(port, ca.certificate().certificate()), second::equals);
            long atRotation = calls.get();
            Awaitility.await("calls after the rotation").atMost(Duration.ofSeconds(20)).until(() -> calls.get() >= atRotation + 50);

            running.set(false);
            for (Future<?> w : workers) {
                w.get(30, TimeUnit.SECONDS);
            }
            load.shutdown();
            assertThat(failures).as("failed calls out of %d", calls.get()).isEmpty();
            assertThat(TlsPorts.presentedSerial(port, ca.certificate().certificate())).isEqualTo(second);
        }
    }

    private static void call(java.util.concurrent.Callable<?> call, AtomicLong calls, ConcurrentLinkedQueue<Throwable> failures) {
        try {
            call.call();
        } catch (Exception e) {
            failures.add(e);
        }
        calls.incrementAndGet();
    }
}
