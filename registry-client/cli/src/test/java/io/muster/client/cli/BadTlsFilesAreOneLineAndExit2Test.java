package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.certs.CertificateAuthority;
import io.muster.testkit.UnitTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --ca}, {@code --cert}, {@code --key} that cannot be used (missing, not PEM, a key of another
 * certificate, an expired certificate): the command prints one line naming the flag and the file and
 * exits with 2, before dialling any member.
 */
@UnitTest
class BadTlsFilesAreOneLineAndExit2Test {

    @TempDir
    Path dir;

    private record Outcome(int code, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MusterCli.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, err.toString());
    }

    private static void assertRefused(Outcome o, String flag, Path file, String why) {
        assertThat(o.code()).as(o.err()).isEqualTo(2);
        assertThat(o.err().strip().lines().count()).as(o.err()).isEqualTo(1);
        assertThat(o.err()).startsWith("muster: " + flag + ": " + file + ": ").contains(why)
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void eachBadFileIsNamedWithItsFlag() throws Exception {
        CertificateAuthority authority = CertificateAuthority.create("test-ca");
        Path ca = Files.writeString(dir.resolve("ca.pem"), authority.certificate().certificatePem());
        Path cert = dir.resolve("client-ops.pem");
        Path key = dir.resolve("client-ops-key.pem");
        authority.issueClient("ops", Duration.ofDays(1)).write(cert, key);
        Path otherKey = dir.resolve("other-key.pem");
        authority.issueClient("other", Duration.ofDays(1)).write(dir.resolve("other.pem"), otherKey);
        CertificateAuthority past = CertificateAuthority.create("old-ca", Duration.ofDays(3650),
                Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC), new SecureRandom());
        Path expired = dir.resolve("expired.pem");
        Path expiredKey = dir.resolve("expired-key.pem");
        past.issueClient("ops", Duration.ofDays(1)).write(expired, expiredKey);
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not PEM\n");
        Path missing = dir.resolve("missing.pem");
        String target = "127.0.0.1:1";

        assertRefused(run("--targets", target, "--ca", missing.toString(), "members"), "--ca", missing, "no such file");
        assertRefused(run("--targets", target, "--ca", garbage.toString(), "members"), "--ca", garbage, "not a PEM certificate");
        assertRefused(run("--targets", target, "--ca", ca.toString(), "--cert", cert.toString(), "--key", otherKey.toString(), "members"),
                "--key", otherKey, "not the key of the certificate in " + cert);
        assertRefused(run("--targets", target, "--ca", ca.toString(), "--cert", expired.toString(), "--key", expiredKey.toString(), "members"),
                "--cert", expired, "expired on");
    }
}
