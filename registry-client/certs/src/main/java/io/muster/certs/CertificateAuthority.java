package io.muster.certs;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A cluster certificate authority: creates itself, or loads from PEM, and signs member and client
 * certificates. ECDSA P-256 throughout (fast handshakes on both TLS providers, small keys).
 *
 * <p>Member certificates are for both ends of member-to-member TLS (serverAuth + clientAuth) and
 * carry the hosts a client dials as DNS/IP names; client certificates are clientAuth only. Both
 * carry their {@link Identity}. Clock and randomness are injected so tests can issue certificates
 * that are not yet valid or already expired.
 */
public final class CertificateAuthority {

  public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(5 * 365);
  public static final Duration DEFAULT_LEAF_VALIDITY = Duration.ofDays(365);
  /** Backdating of notBefore, so that a peer whose clock is a little behind accepts a fresh one. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  private static final String SIGNATURE = "SHA256withECDSA";

  private final IssuedCertificate ca;
  private final Clock clock;
  private final SecureRandom random;

  private CertificateAuthority(IssuedCertificate ca, Clock clock, SecureRandom random) {
    this.ca = ca;
    this.clock = clock;
    this.random = random;
  }

  /** A new self-signed CA named {@code commonName}. */
  public static CertificateAuthority create(
      String commonName, Duration validity, Clock clock, SecureRandom random) {
    requireText("commonName", commonName);
    requirePositive("validity", validity);
    KeyPair keys = newKeyPair(random);
    X500Name subject = name(commonName);
    Instant now = clock.instant();
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              serial(random),
              Date.from(now.minus(CLOCK_SKEW)),
              Date.from(now.plus(validity)),
              subject,
              keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate certificate = sign(builder, keys, random);
      return new CertificateAuthority(
          new IssuedCertificate(certificate, keys.getPrivate()), clock, random);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create a CA certificate", e);
    }
  }

  public static CertificateAuthority create(String commonName) {
    return create(commonName, DEFAULT_CA_VALIDITY, Clock.systemUTC(), new SecureRandom());
  }

  /** A CA from its PEM certificate and key, e.g. written by {@code muster cert create-ca}. */
  public static CertificateAuthority load(
      Path certificateFile, Path keyFile, Clock clock, SecureRandom random) throws IOException {
    IssuedCertificate ca = IssuedCertificate.read(certificateFile, keyFile);
    if (ca.certificate().getBasicConstraints() < 0) {
      throw new IOException(certificateFile + ": not a CA certificate (no basicConstraints CA:true)");
    }
    return new CertificateAuthority(ca, clock, random);
  }

  public IssuedCertificate certificate() {
    return ca;
  }

  /**
   * A member's certificate: serverAuth and clientAuth, identity {@code muster://member/ID}, and the
   * given DNS names and IP addresses (the addresses others dial it by).
   */
  public IssuedCertificate issueMember(
      String id, List<String> dnsNames, List<String> ipAddresses, Duration validity) {
    return issue(Identity.member(id), dnsNames, ipAddresses, validity, true);
  }

  /** A client's certificate (gateway, CLI, application): clientAuth only. */
  public IssuedCertificate issueClient(String name, Duration validity) {
    return issue(Identity.client(name), List.of(), List.of(), validity, false);
  }

  private IssuedCertificate issue(
      Identity identity,
      List<String> dnsNames,
      List<String> ipAddresses,
      Duration validity,
      boolean server) {
    requirePositive("validity", validity);
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri().toString()));
    for (String dns : dnsNames) {
      if (dns == null || !dns.matches("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
        throw new IllegalArgumentException(
            "host: must be a DNS name (letters, digits, '.', '-'), got '" + dns + "'");
      }
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (String ip : ipAddresses) {
      if (ip == null || !IPAddress.isValid(ip)) {
        throw new IllegalArgumentException(
            "ip: must be an IPv4 or IPv6 address literal, got '" + ip + "'");
      }
      names.add(new GeneralName(GeneralName.iPAddress, ip));
    }
    KeyPair keys = newKeyPair(random);
    Instant now = clock.instant();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(ca.certificate().getNotAfter().toInstant())) {
      notAfter = ca.certificate().getNotAfter().toInstant(); // never outlive the issuer
    }
    try {
      X500Name issuer =
          X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer,
              serial(random),
              Date.from(now.minus(CLOCK_SKEW)),
              Date.from(notAfter),
              name(identity.name()),
              keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          server
              ? new ExtendedKeyUsage(
                  new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
              : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(ca.certificate()));
      X509Certificate certificate =
          sign(builder, new KeyPair(ca.certificate().getPublicKey(), ca.privateKey()), random);
      return new IssuedCertificate(certificate, keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + identity, e);
    }
  }

  private static X509Certificate sign(
      X509v3CertificateBuilder builder, KeyPair signer, SecureRandom random)
      throws GeneralSecurityException {
    try {
      var signerOp =
          new JcaContentSignerBuilder(SIGNATURE).setSecureRandom(random).build(signer.getPrivate());
      X509Certificate certificate =
          new JcaX509CertificateConverter().getCertificate(builder.build(signerOp));
      PublicKey verifyWith = signer.getPublic();
      certificate.verify(verifyWith);
      return certificate;
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JDK", e);
    }
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).add(BigInteger.ONE); // positive, ≤ 20 octets (RFC 5280)
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Muster")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static void requireText(String field, String value) {
    if (value == null || value.isBlank() || value.length() > 64) {
      throw new IllegalArgumentException(field + ": must be 1 to 64 characters, got '" + value + "'");
    }
  }

  private static void requirePositive(String field, Duration value) {
    if (value == null || value.isNegative() || value.isZero() || value.toDays() > 100 * 365) {
      throw new IllegalArgumentException(
          field + ": must be between 1 second and 100 years, got " + value);
    }
  }
}
