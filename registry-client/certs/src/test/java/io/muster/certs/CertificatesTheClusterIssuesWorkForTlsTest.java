package io.muster.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.testkit.UnitTest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@UnitTest
class CertificatesTheClusterIssuesWorkForTlsTest {

  private final CertificateAuthority ca = CertificateAuthority.create("test-ca");

  @Test
  void aMemberCertificateCarriesItsIdentityAndHosts() throws Exception {
    IssuedCertificate member =
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1));

    assertEquals(Optional.of(Identity.member("n1")), Identity.of(member.certificate()));
    assertTrue(member.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"));
    assertTrue(member.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"));
    member.certificate().verify(ca.certificate().certificate().getPublicKey());
  }

  @Test
  void aClientCertificateIsNeverAMembers() {
    IssuedCertificate client = ca.issueClient("gateway", Duration.ofDays(1));

    assertEquals(Optional.of(Identity.client("gateway")), Identity.of(client.certificate()));
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), readUsage(client));
  }

  @Test
  void filesRoundTripAndTheKeyIsOwnerOnly(@TempDir Path dir) throws Exception {
    IssuedCertificate member =
        ca.issueMember("n2", List.of(), List.of("127.0.0.1"), Duration.ofDays(1));
    member.write(dir.resolve("n2.pem"), dir.resolve("n2-key.pem"));
    ca.certificate().write(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));

    IssuedCertificate read = IssuedCertificate.read(dir.resolve("n2.pem"), dir.resolve("n2-key.pem"));
    assertEquals(member.certificate(), read.certificate());
    assertEquals(member.privateKey(), read.privateKey());
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("n2-key.pem"))));
    CertificateAuthority loaded =
        CertificateAuthority.load(
            dir.resolve("ca.pem"), dir.resolve("ca-key.pem"), Clock.systemUTC(), new SecureRandom());
    loaded.issueClient("cli", Duration.ofDays(1)).certificate().verify(
        ca.certificate().certificate().getPublicKey());
    assertThrows(
        java.io.IOException.class,
        () -> CertificateAuthority.load(
            dir.resolve("n2.pem"), dir.resolve("n2-key.pem"), Clock.systemUTC(), new SecureRandom()));
  }

  @Test
  void badNamesAreRefusedNamingTheField() {
    IllegalArgumentException id =
        assertThrows(
            IllegalArgumentException.class,
            () -> ca.issueMember("n 1", List.of(), List.of(), Duration.ofDays(1)));
    assertTrue(id.getMessage().startsWith("name:"), id.getMessage());
    IllegalArgumentException ip =
        assertThrows(
            IllegalArgumentException.class,
            () -> ca.issueMember("n1", List.of(), List.of("example.com"), Duration.ofDays(1)));
    assertTrue(ip.getMessage().startsWith("ip:"), ip.getMessage());
    IllegalArgumentException validity =
        assertThrows(
            IllegalArgumentException.class,
            () -> ca.issueClient("cli", Duration.ofSeconds(-1)));
    assertTrue(validity.getMessage().startsWith("validity:"), validity.getMessage());
  }

  @Test
  void aMutualHandshakeSucceedsWithinTheCaAndFailsAcrossCas() throws Exception {
    IssuedCertificate server =
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1));
    IssuedCertificate client = ca.issueClient("cli", Duration.ofDays(1));
    CertificateAuthority other = CertificateAuthority.create("other-ca");
    IssuedCertificate stranger = other.issueClient("cli", Duration.ofDays(1));

    ExecutorService acceptor = Executors.newSingleThreadExecutor();
    try (SSLServerSocket listener =
        (SSLServerSocket)
            context(server, ca).getServerSocketFactory().createServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      Future<?> served = acceptor.submit(() -> echoOnce(listener));
      assertEquals(42, roundTrip(context(client, ca), listener.getLocalPort()));
      served.get(10, TimeUnit.SECONDS);

      acceptor.submit(() -> echoOnce(listener));
      assertThrows(
          java.io.IOException.class, () -> roundTrip(context(stranger, other), listener.getLocalPort()));
    } finally {
      acceptor.shutdownNow();
    }
  }

  private static int roundTrip(SSLContext context, int port) throws Exception {
    try (SSLSocket socket =
        (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the IP SAN must match
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      OutputStream out = socket.getOutputStream();
      out.write(42);
      out.flush();
      return socket.getInputStream().read();
    }
  }

  private static Void echoOnce(SSLServerSocket listener) throws Exception {
    try (SSLSocket socket = (SSLSocket) listener.accept()) {
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      int b = in.read();
      socket.getOutputStream().write(b);
      socket.getOutputStream().flush();
    } catch (SSLHandshakeException refused) {
      // the stranger's case
    }
    return null;
  }

  private static SSLContext context(IssuedCertificate own, CertificateAuthority trusted) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "own", own.privateKey(), new char[0], new Certificate[] {own.certificate(), trusted.certificate().certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", trusted.certificate().certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return context;
  }

  private static List<String> readUsage(IssuedCertificate issued) {
    try {
      return issued.certificate().getExtendedKeyUsage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
