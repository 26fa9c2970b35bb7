package io.muster.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.certs.CertificateAuthority;
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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's TLS files (registry.ca / cert / key, a listener's certificate, a route's upstream
 * TLS) are read and checked before it starts, also by {@code --check}: a missing file, one that is not
 * PEM, a key that is not the certificate's, an expired certificate is one line naming the key and the
 * file, exit code 2, no stack trace.
 */
@UnitTest
class BadTlsFilesInTheConfigurationExitWith2Test {

  @TempDir
  Path dir;

  private record Outcome(int code, String err) {
  }

  private Outcome check(String yaml) throws Exception {
    Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml);
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run("--config", file.toString(), "--check");
    } finally {
      System.setErr(saved);
    }
    return new Outcome(code, buf.toString(StandardCharsets.UTF_8));
  }

  private static void assertRefused(Outcome o, String key, Path file, String why) {
    assertEquals(2, o.code(), o.err());
    assertEquals(1, o.err().strip().lines().count(), o.err());
    assertTrue(o.err().contains(key + ": " + file + ": " + why), o.err());
    assertFalse(o.err().contains("Exception") || o.err().contains("\tat "), o.err());
  }

  private static String registry(Path ca, Path cert, Path key) {
    return "listeners: [{host: 127.0.0.1, port: 0}]\nroutes: [{service: web}]\nregistry:\n  targets: [127.0.0.1:9001]\n"
        + "  ca: " + ca + "\n  cert: " + cert + "\n  key: " + key + "\n";
  }

  @Test
  void eachBadFileIsNamedWithItsKey() throws Exception {
    CertificateAuthority authority = CertificateAuthority.create("test-ca");
    Path ca = Files.writeString(dir.resolve("ca.pem"), authority.certificate().certificatePem());
    Path cert = dir.resolve("client-gateway.pem");
    Path key = dir.resolve("client-gateway-key.pem");
    authority.issueClient("gateway", Duration.ofDays(1)).write(cert, key);
    Path otherKey = dir.resolve("other-key.pem");
    authority.issueClient("other", Duration.ofDays(1)).write(dir.resolve("other.pem"), otherKey);
    CertificateAuthority past = CertificateAuthority.create("old-ca", Duration.ofDays(3650),
        Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC), new SecureRandom());
    Path expired = dir.resolve("expired.pem");
    Path expiredKey = dir.resolve("expired-key.pem");
    past.issueMember("gw", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(expired, expiredKey);
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not PEM\n");
    Path missing = dir.resolve("missing.pem");

    assertEquals(0, check(registry(ca, cert, key)).code(), "good files pass");
    assertRefused(check(registry(missing, cert, key)), "registry.ca", missing, "no such file");
    assertRefused(check(registry(garbage, cert, key)), "registry.ca", garbage, "not a PEM certificate");
    assertRefused(check(registry(ca, cert, otherKey)), "registry.key", otherKey, "not the key of the certificate in " + cert);
    assertRefused(check(registry(ca, cert, garbage)), "registry.key", garbage, "not a PEM PKCS#8 private key");
    assertRefused(check(registry(ca, expired, expiredKey)), "registry.cert", expired, "the certificate");
    assertTrue(check(registry(ca, expired, expiredKey)).err().contains("expired on"));
    assertRefused(check("listeners:\n  - host: 127.0.0.1\n    port: 0\n    tls:\n      certificates:\n"
            + "        - {cert-file: " + expired + ", key-file: " + expiredKey + "}\nroutes: [{service: web}]\n"
            + "static-instances:\n  web: [{host: 127.0.0.1, port: 9}]\n"),
        "listeners[0].tls.certificates[0].cert-file", expired, "the certificate");
  }
}
