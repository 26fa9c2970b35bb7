package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.config.PeerTlsFiles;
import io.muster.server.testing.TestPki;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer TLS files are checked before a member starts: a client certificate, another CA's certificate or a key of another
 * certificate stops it with the flag and the file named. A later bad set is ignored, not applied.
 */
@UnitTest
class PeerTlsFilesAreCheckedAtStartTest {

    @TempDir
    Path dir;

    @Test
    void aClientCertificateAnotherCaOrAnotherKeyStopsTheMemberWithTheFlagNamed() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "muster-test-ca");
        TestPki other = TestPki.create(dir.resolve("other"), "another-ca");
        PeerTlsFiles n1 = pki.member("n1");
        assertThat(PeerTls.load(n1.certificate(), n1.key(), n1.ca()).certificate().getSubjectX500Principal().getName()).contains("n1");

        PeerTlsFiles gateway = pki.client("gateway");
        assertThatThrownBy(() -> PeerTls.load(gateway.certificate(), gateway.key(), gateway.ca()))
                .isInstanceOf(IOException.class).hasMessageContaining("--peer-tls-cert").hasMessageContaining("not a member certificate");
        PeerTlsFiles foreign = other.member("n1");
        assertThatThrownBy(() -> PeerTls.load(foreign.certificate(), foreign.key(), n1.ca()))
                .isInstanceOf(IOException.class).hasMessageContaining("--peer-tls-cert").hasMessageContaining("not signed by the CA");
        PeerTlsFiles n2 = pki.member("n2");
        assertThatThrownBy(() -> PeerTls.load(n1.certificate(), n2.key(), n1.ca()))
                .isInstanceOf(IOException.class).hasMessageContaining("--peer-tls-key").hasMessageContaining("is not the key of");
        assertThatThrownBy(() -> PeerTls.load(dir.resolve("missing.pem"), n1.key(), n1.ca()))
                .isInstanceOf(IOException.class).hasMessageContaining("--peer-tls-cert");
    }

    @Test
    void aChangedSetThatDoesNotCheckOutIsIgnoredAndAGoodOneApplied() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "muster-test-ca");
        PeerTlsFiles n1 = pki.member("n1");
        PeerTls tls = PeerTls.load(n1.certificate(), n1.key(), n1.ca());
        java.math.BigInteger first = tls.certificate().getSerialNumber();
        assertThat(tls.reloadIfChanged()).as("unchanged files").isFalse();

        // the key of another certificate: refused, the current material stays
        PeerTlsFiles n2 = pki.member("n2");
        Files.copy(n2.key(), n1.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(tls.reloadIfChanged()).isFalse();
        assertThat(tls.reloadFailures()).isEqualTo(1);
        assertThat(tls.certificate().getSerialNumber()).isEqualTo(first);

        PeerTlsFiles renewed = pki.member("n1");
        assertThat(tls.reloadIfChanged()).isTrue();
        assertThat(tls.reloads()).isEqualTo(1);
        assertThat(tls.certificate().getSerialNumber()).isEqualTo(TestPki.serial(renewed)).isNotEqualTo(first);
    }
}
