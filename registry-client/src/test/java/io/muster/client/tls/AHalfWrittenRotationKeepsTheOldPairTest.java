package io.muster.client.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.tls.ReloadingCredentials;
import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotation replaces the certificate and then the key: a refresh between the two keeps the old pair
 * (a certificate with the wrong key would fail every handshake), and installs the new one once both
 * are in place. Refreshes are called directly; the period is too long to matter.
 */
@UnitTest
class AHalfWrittenRotationKeepsTheOldPairTest {

    @TempDir
    Path dir;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aCertificateWithoutItsKeyIsNotInstalledUntilTheKeyArrives() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca");
        Path cert = dir.resolve("n1.pem");
        Path key = dir.resolve("n1-key.pem");
        IssuedCertificate first = TlsPorts.member(ca);
        first.write(cert, key);
        List<String> events = new ArrayList<>();
        ReloadingCredentials credentials = ReloadingCredentials.forServer(cert, key, null, Duration.ofHours(1), scheduler,
                new ReloadingCredentials.Listener() {
                    @Override
                    public void reloaded(String what, Path file) {
                        events.add("reloaded " + what);
                    }

                    @Override
                    public void failed(String what, Path file, Exception cause) {
                        events.add("failed " + what + ": " + cause.getMessage());
                    }
                });
        try {
            assertThat(presented(credentials)).isEqualTo(first.certificate());
            credentials.refresh();
            assertThat(events).as("nothing changed").isEmpty();

            IssuedCertificate second = TlsPorts.member(ca);
            Files.writeString(cert, second.certificatePem()); // the key is still the old one
            credentials.refresh();
            assertThat(presented(credentials)).isEqualTo(first.certificate());
            assertThat(events).singleElement().asString().startsWith("failed certificate").contains("does not belong to the certificate");

            Files.writeString(key, second.privateKeyPem());
            credentials.refresh();
            assertThat(presented(credentials)).isEqualTo(second.certificate());
            assertThat(events).last().isEqualTo("reloaded certificate");
        } finally {
            credentials.close();
        }
    }

    private static X509Certificate presented(ReloadingCredentials credentials) {
        String alias = credentials.keyManager().chooseEngineServerAlias("EC", null, null);
        return credentials.keyManager().getCertificateChain(alias)[0];
    }
}
