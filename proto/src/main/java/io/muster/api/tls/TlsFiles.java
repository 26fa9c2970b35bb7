package io.muster.api.tls;

import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;

/**
 * The start-up check of TLS files a member, the gateway or the CLI was given: each problem is one
 * {@link IllegalArgumentException} whose message names the setting and the file, so the program can
 * print one line and exit with its usage code instead of failing later, in a handshake, with a stack
 * trace. Checked: the file is there, is a file and is readable; a certificate file holds PEM
 * certificates and the first one is valid now; a key file holds a PEM PKCS#8 key, and it is the key of
 * the certificate; a CA file holds PEM certificates, each valid now.
 *
 * <pre>{@code
 * TlsFiles.checkPair("--tls-cert", cert, "--tls-key", key, Instant.now());  // "--tls-key: k.pem: not the key of the certificate in c.pem"
 * }</pre>
 */
public final class TlsFiles {

    private TlsFiles() {
    }

    /**
     * A certificate (chain) and its private key.
     *
     * @param certName the setting that names the certificate ({@code --tls-cert}, {@code registry.cert})
     * @param keyName  the setting that names the key
     * @return the chain
     */
    public static X509Certificate[] checkPair(String certName, Path cert, String keyName, Path key, Instant now) {
        X509Certificate[] chain = certificates(certName, cert);
        checkValid(certName, cert, chain[0], now);
        byte[] keyBytes = read(keyName, key);
        PrivateKey privateKey;
        try {
            privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(keyBytes));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(keyName + ": " + key + ": not a PEM PKCS#8 private key (expected: -----BEGIN PRIVATE KEY-----)", e);
        }
        if (privateKey == null) {
            throw new IllegalArgumentException(keyName + ": " + key + ": no private key in the file (expected: -----BEGIN PRIVATE KEY-----)");
        }
        if (!ReloadingCredentials.signsFor(privateKey, chain[0])) {
            throw new IllegalArgumentException(keyName + ": " + key + ": not the key of the certificate in " + cert + " (" + certName + ")");
        }
        return chain;
    }

    /** CA certificates (one or more, PEM): every one valid now. */
    public static X509Certificate[] checkCa(String name, Path ca, Instant now) {
        X509Certificate[] cas = certificates(name, ca);
        for (X509Certificate c : cas) {
            checkValid(name, ca, c, now);
        }
        return cas;
    }

    private static X509Certificate[] certificates(String name, Path file) {
        byte[] bytes = read(name, file);
        X509Certificate[] chain;
        try {
            chain = CertificateUtils.getX509Certificates(new ByteArrayInputStream(bytes));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(name + ": " + file + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
        if (chain.length == 0) {
            throw new IllegalArgumentException(name + ": " + file + ": no certificate in the file (expected: -----BEGIN CERTIFICATE-----)");
        }
        return chain;
    }

    private static void checkValid(String name, Path file, X509Certificate c, Instant now) {
        try {
            c.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw new IllegalArgumentException(name + ": " + file + ": the certificate " + c.getSubjectX500Principal().getName()
                    + " expired on " + c.getNotAfter().toInstant() + " (valid " + c.getNotBefore().toInstant() + " to "
                    + c.getNotAfter().toInstant() + ")", e);
        } catch (CertificateNotYetValidException e) {
            throw new IllegalArgumentException(name + ": " + file + ": the certificate " + c.getSubjectX500Principal().getName()
                    + " is not valid before " + c.getNotBefore().toInstant() + " (check the clock of this machine)", e);
        }
    }

    private static byte[] read(String name, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(name + ": " + file + ": a directory, not a file");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(name + ": " + file + ": no such file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }
}
