package io.muster.gateway.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Whether a PEM private key belongs to a certificate. A rotation replaces two files, one after the
 * other: a reload that runs between the two renames would otherwise serve a certificate with the
 * other's key, and every handshake would fail until the next check.
 */
final class KeyPairCheck {

  private KeyPairCheck() {}

  /** @throws IllegalArgumentException naming {@code key} if the key cannot be read or does not match */
  static void requireMatch(X509Certificate certificate, Path keyFile, String key) {
    PrivateKey privateKey = readPkcs8(keyFile, certificate.getPublicKey().getAlgorithm(), key);
    if (privateKey == null) {
      return; // not PKCS#8 (e.g. an OpenSSL "RSA PRIVATE KEY"): Netty may still load it; not checked here
    }
    String algorithm = switch (certificate.getPublicKey().getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return; // an algorithm we cannot test here: the handshake will tell
    }
    try {
      byte[] probe = "muster key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new IllegalArgumentException(key + ": " + keyFile + " is not the key of its cert-file");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(key + ": " + keyFile + " is not the key of its cert-file (" + e + ")", e);
    }
  }

  /** The key, or null when the file holds no unencrypted PKCS#8 key. */
  private static PrivateKey readPkcs8(Path keyFile, String algorithm, String key) {
    String pem;
    try {
      pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException(key + ": cannot read " + keyFile + ": " + e, e);
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      return null;
    }
    String base64 = pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end).replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + keyFile + ": not a " + algorithm + " PKCS#8 key (" + e + ")", e);
    }
  }
}
