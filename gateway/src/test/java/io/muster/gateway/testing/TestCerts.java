package io.muster.gateway.testing;

import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A test CA (from the certs module) and PEM files of certificates it issues, in a directory of the test's. */
public final class TestCerts {

  private final CertificateAuthority ca;
  private final Path dir;
  private int serial;

  public TestCerts(String caName, Path dir) throws IOException {
    this.ca = CertificateAuthority.create(caName);
    this.dir = dir;
    ca.certificate().write(caFile(), dir.resolve(caName + "-ca.key"));
  }

  public Path caFile() {
    return dir.resolve("ca-" + System.identityHashCode(this) + ".pem");
  }

  /** A server certificate for {@code dnsNames} and 127.0.0.1, written as {@code name.pem}/{@code name.key}. */
  public IssuedCertificate server(String name, List<String> dnsNames) throws IOException {
    IssuedCertificate c = ca.issueMember(name, dnsNames, List.of("127.0.0.1"), Duration.ofDays(1));
    writeAtomically(c, name);
    return c;
  }

  /** A client certificate, written as {@code name.pem}/{@code name.key}. */
  public IssuedCertificate client(String name) throws IOException {
    IssuedCertificate c = ca.issueClient(name, Duration.ofDays(1));
    writeAtomically(c, name);
    return c;
  }

  /** Writes beside and renames over, as a certificate manager rotating files does. */
  public void writeAtomically(IssuedCertificate c, String name) throws IOException {
    Path tmpCert = dir.resolve(name + ".pem.tmp" + (++serial));
    Path tmpKey = dir.resolve(name + ".key.tmp" + serial);
    c.write(tmpCert, tmpKey);
    Files.move(tmpKey, key(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmpCert, cert(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public Path cert(String name) {
    return dir.resolve(name + ".pem");
  }

  public Path key(String name) {
    return dir.resolve(name + ".key");
  }

  /** A JDK context that trusts this CA (and presents {@code client} when not null). */
  public SSLContext clientContext(IssuedCertificate client) throws Exception {
    return context(client, true);
  }

  /** A JDK server context presenting {@code server}, trusting this CA for client certificates. */
  public SSLContext serverContext(IssuedCertificate server) throws Exception {
    return context(server, true);
  }

  private SSLContext context(IssuedCertificate own, boolean trustCa) throws Exception {
    KeyManagerFactory kmf = null;
    if (own != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("own", own.privateKey(), new char[0], new Certificate[] {own.certificate()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    if (trustCa) {
      ts.setCertificateEntry("ca", ca.certificate().certificate());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }
}
