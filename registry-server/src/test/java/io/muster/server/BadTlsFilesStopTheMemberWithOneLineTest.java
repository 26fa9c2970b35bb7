package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.testkit.FreePorts;
import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad TLS files given to a member (public port and peer flags): a missing file, a directory, a file
 * that is not PEM, a key that is not the certificate's, an expired certificate, a client certificate
 * as a member's: the member does not start, prints one line naming the flag and the file, no stack
 * trace, and exits with 2 (the usage code). Nothing is bound (the check comes first).
 */
@UnitTest
class BadTlsFilesStopTheMemberWithOneLineTest {

    @TempDir
    Path dir;
    Path ca;
    Path cert;
    Path key;
    Path otherKey;
    Path expired;
    Path expiredKey;
    Path client;
    Path clientKey;
    Path garbage;

    @BeforeEach
    void files() throws Exception {
        CertificateAuthority authority = CertificateAuthority.create("test-ca");
        ca = Files.writeString(dir.resolve("ca.pem"), authority.certificate().certificatePem());
        cert = dir.resolve("n1.pem");
        key = dir.resolve("n1-key.pem");
        authority.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(cert, key);
        otherKey = dir.resolve("n2-key.pem");
        authority.issueMember("n2", List.of(), List.of("127.0.0.1"), Duration.ofDays(1)).write(dir.resolve("n2.pem"), otherKey);
        // a CA whose clock is 30 days back: its one-day certificate expired 29 days ago
        CertificateAuthority past = CertificateAuthority.create("old-ca", Duration.ofDays(3650),
                Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC), new SecureRandom());
        expired = dir.resolve("expired.pem");
        expiredKey = dir.resolve("expired-key.pem");
        past.issueMember("n1", List.of(), List.of("127.0.0.1"), Duration.ofDays(1)).write(expired, expiredKey);
        client = dir.resolve("client-ops.pem");
        clientKey = dir.resolve("client-ops-key.pem");
        authority.issueClient("ops", Duration.ofDays(1)).write(client, clientKey);
        garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not a certificate\n");
    }

    private record Outcome(int code, String err) {
    }

    private Outcome start(String... flags) {
        List<String> args = new ArrayList<>(List.of("--id", "n1", "--raft", "127.0.0.1:" + FreePorts.next(), "--grpc",
                "127.0.0.1:" + FreePorts.next(), "--peer", "127.0.0.1:" + FreePorts.next(), "--data-dir", dir.resolve("data").toString(),
                "--metrics-port", "-1"));
        args.addAll(List.of(flags));
        PrintStream saved = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new Main()).execute(args.toArray(String[]::new));
        } finally {
            System.setErr(saved);
        }
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8));
    }

    private void assertRefused(Outcome o, String flag, Path file, String why) {
        assertThat(o.code()).as(o.err()).isEqualTo(2);
        assertThat(o.err().strip().lines().count()).as("one line: %s", o.err()).isEqualTo(1);
        assertThat(o.err()).startsWith("muster-server: ").contains(flag).contains(file.toString()).contains(why)
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    private Outcome publicTls(Path c, Path k) {
        return start("--tls-cert", c.toString(), "--tls-key", k.toString(), "--tls-client-ca", ca.toString());
    }

    private Outcome peerTls(Path c, Path k, Path authority) {
        return start("--peer-tls-cert", c.toString(), "--peer-tls-key", k.toString(), "--peer-tls-ca", authority.toString());
    }

    @Test
    void thePublicPortsFilesAreCheckedAtStart() {
        assertRefused(publicTls(dir.resolve("missing.pem"), key), "tls-cert", dir.resolve("missing.pem"), "no such file");
        assertRefused(publicTls(cert, dir), "tls-key", dir, "");
        assertRefused(publicTls(garbage, key), "--tls-cert", garbage, "not a PEM certificate");
        assertRefused(publicTls(cert, garbage), "--tls-key", garbage, "not a PEM PKCS#8 private key");
        assertRefused(publicTls(cert, otherKey), "--tls-key", otherKey, "not the key of the certificate in " + cert);
        assertRefused(publicTls(expired, expiredKey), "--tls-cert", expired, "expired on");
        assertRefused(start("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", garbage.toString()),
                "--tls-client-ca", garbage, "not a PEM certificate");
    }

    @Test
    void thePeerFilesAreCheckedAtStart() {
        assertRefused(peerTls(dir.resolve("missing.pem"), key, ca), "peer-tls-cert", dir.resolve("missing.pem"), "");
        assertRefused(peerTls(garbage, key, ca), "--peer-tls-cert", garbage, "not a PEM certificate");
        assertRefused(peerTls(cert, otherKey, ca), "--peer-tls-key", otherKey, "not the key of the certificate");
        assertRefused(peerTls(expired, expiredKey, ca), "--peer-tls-cert", expired, "expired on");
        assertRefused(peerTls(cert, key, garbage), "--peer-tls-ca", garbage, "not a PEM certificate");
        // PEM and matching, but a client's certificate: found when the member loads its peer TLS
        assertRefused(peerTls(client, clientKey, ca), "--peer-tls-cert", client, "not a member certificate");
    }

    @Test
    void goodFilesPassTheCheck() throws Exception {
        Main main = new Main();
        new CommandLine(main).parseArgs("--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001", "--peer", "127.0.0.1:7101",
                "--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca.toString(),
                "--peer-tls-cert", cert.toString(), "--peer-tls-key", key.toString(), "--peer-tls-ca", ca.toString());
        Main.checkTlsFiles(main.toConfig(), Instant.now());
        assertThat(IssuedCertificate.readCertificate(expired).getNotAfter().toInstant()).isBefore(Instant.now());
    }
}
