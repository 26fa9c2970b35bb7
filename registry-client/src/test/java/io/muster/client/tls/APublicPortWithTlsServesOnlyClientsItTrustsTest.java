package io.muster.client.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Status;
import io.muster.client.DiscoverFilter;
import io.muster.certs.CertificateAuthority;
import io.muster.client.RegistryClient;
import io.muster.client.RetryPolicy;
import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A member with {@code --tls-cert/--tls-key --tls-client-ca --tls-client-auth require}: only clients
 * that trust its CA and present a certificate of the client CA get an answer; the others fail with a
 * status that says what happened.
 */
@ClusterTest
class APublicPortWithTlsServesOnlyClientsItTrustsTest {

    private static Path dir;
    private static TlsPorts.Files files;
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("muster-tls-");
        files = TlsPorts.Files.write(CertificateAuthority.create("test-ca"), dir, "app");
        cluster = LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000).toBuilder()
                .tls(new PublicTls(files.memberCert(), files.memberKey(), files.ca(), PublicTls.ClientAuth.REQUIRE,
                        PublicTls.DEFAULT_RELOAD_PERIOD)).build());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static RegistryClient.Builder client() {
        Duration deadline = Duration.ofSeconds(2);
        return RegistryClient.builder(cluster.targets())
                .retryPolicy(new RetryPolicy(deadline, deadline, Duration.ofMillis(50), Duration.ofMillis(500)));
    }

    @Test
    void aClientWithTheCaAndACertificateRegistersAndDiscovers() {
        try (RegistryClient client = client().tls(files.ca()).clientCertificate(files.clientCert(), files.clientKey()).build()) {
            client.registerOnce(TlsPorts.instance("orders", "o1", 8001));
            assertThat(client.discover("orders", DiscoverFilter.all())).extracting(i -> i.getId()).containsExactly("o1");
        }
    }

    @Test
    void aPlainTextClientFailsUnavailable() {
        try (RegistryClient client = client().build()) {
            Throwable failure = catchThrowable(client::listServices);
            assertThat(Status.fromThrowable(failure).getCode()).as(String.valueOf(failure)).isEqualTo(Status.Code.UNAVAILABLE);
        }
    }

    @Test
    void aClientTrustingAnotherCaFailsItsHandshake() throws Exception {
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        TlsPorts.Files stranger = TlsPorts.Files.write(CertificateAuthority.create("other-ca"), other, "app");
        try (RegistryClient client = client().tls(stranger.ca()).clientCertificate(stranger.clientCert(), stranger.clientKey()).build()) {
            Throwable failure = catchThrowable(client::listServices);
            assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(TlsPorts.handshakeFailed(failure)).as("an SSLException in %s", failure).isTrue();
        }
    }

    @Test
    void requireModeRefusesAClientWithoutACertificate() {
        try (RegistryClient client = client().tls(files.ca()).build()) {
            Throwable failure = catchThrowable(client::listServices);
            assertThat(Status.fromThrowable(failure).getCode()).as(String.valueOf(failure)).isEqualTo(Status.Code.UNAVAILABLE);
        }
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused() throws Exception {
        Path other = dir.resolve("other-client");
        Files.createDirectories(other);
        TlsPorts.Files stranger = TlsPorts.Files.write(CertificateAuthority.create("other-ca"), other, "app");
        // trusts the member's CA, but presents a certificate the member's client CA did not sign
        try (RegistryClient client = client().tls(files.ca()).clientCertificate(stranger.clientCert(), stranger.clientKey()).build()) {
            Throwable failure = catchThrowable(client::listServices);
            assertThat(Status.fromThrowable(failure).getCode()).as(String.valueOf(failure)).isEqualTo(Status.Code.UNAVAILABLE);
        }
    }
}
