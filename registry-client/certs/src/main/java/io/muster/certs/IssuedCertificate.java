package io.muster.certs;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * A certificate and its private key, read from or written to PEM files.
 *
 * <p>Keys are written unencrypted as PKCS#8 ({@code BEGIN PRIVATE KEY}), the form Netty's and
 * gRPC's {@code SslContext} builders read with either TLS provider, and always with owner-only
 * permissions.
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey) {

  public IssuedCertificate {
    if (certificate == null || privateKey == null) {
      throw new IllegalArgumentException("certificate and privateKey: both required");
    }
  }

  public String certificatePem() {
    return pem(certificate);
  }

  public String privateKeyPem() {
    try {
      return pem(new JcaPKCS8Generator(privateKey, null).generate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes both files, each through a temporary file and an atomic rename, so that a process that
   * reloads them on change never reads half a file; the key file is readable by its owner only.
   */
  public void write(Path certificateFile, Path keyFile) throws IOException {
    writeAtomically(certificateFile, certificatePem(), false);
    writeAtomically(keyFile, privateKeyPem(), true);
  }

  public static IssuedCertificate read(Path certificateFile, Path keyFile) throws IOException {
    X509Certificate certificate = readCertificate(certificateFile);
    PrivateKey key;
    try (Reader reader = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PrivateKeyInfo info) {
        key = converter.getPrivateKey(info);
      } else if (object instanceof PEMKeyPair pair) {
        key = converter.getPrivateKey(pair.getPrivateKeyInfo());
      } else {
        throw new IOException(keyFile + ": no unencrypted private key in PEM form");
      }
    }
    return new IssuedCertificate(certificate, key);
  }

  public static X509Certificate readCertificate(Path certificateFile) throws IOException {
    try (Reader reader = Files.newBufferedReader(certificateFile, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      if (!(object instanceof X509CertificateHolder holder)) {
        throw new IOException(certificateFile + ": no certificate in PEM form");
      }
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new IOException(certificateFile + ": " + e.getMessage(), e);
    }
  }

  static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  static void writeAtomically(Path file, String content, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      if (secret) {
        setOwnerOnly(temp);
      }
      Files.writeString(temp, content, StandardCharsets.US_ASCII);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void setOwnerOnly(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // not a POSIX file system (Windows): its default ACL applies
    }
  }
}
