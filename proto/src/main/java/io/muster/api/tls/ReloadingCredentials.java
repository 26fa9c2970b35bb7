package io.muster.api.tls;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A TLS identity (certificate chain + PKCS#8 private key, PEM) and the CA certificates it trusts
 * (PEM), read from files and re-read when they change, so certificates rotate without a restart.
 * The key and trust managers are grpc-java's {@link AdvancedTlsX509KeyManager} and
 * {@link AdvancedTlsX509TrustManager}: a handshake reads whatever material they hold at that moment,
 * connections already open keep theirs.
 *
 * <p>Why our own watcher rather than the managers' file refresh: a rotation writes two files (the
 * certificate, then the key, each renamed into place), and a refresh that lands between them would
 * install a certificate with the old key, failing every handshake until the next refresh. Here a new
 * pair is installed only when the key signs for the certificate; a half-written rotation keeps the
 * old pair and is retried on the next tick.
 *
 * <p>Threading: the files are read on the injected scheduler (one short task per period, never
 * blocking on anything but the small files); the managers are safe to use from any thread.
 * {@link Listener} runs on that scheduler.
 *
 * <pre>{@code
 * ReloadingCredentials tls = ReloadingCredentials.forServer(cert, key, clientCa, Duration.ofSeconds(5), scheduler, listener);
 * SslContextBuilder.forServer(tls.keyManager()).trustManager(tls.trustManager());
 * }</pre>
 */
public final class ReloadingCredentials implements AutoCloseable {

    /** How often the files are compared with what is installed, unless told otherwise. */
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(5);

    /** What a reload did; called on the scheduler. */
    public interface Listener {
        /** New material is in use ({@code what}: {@code "certificate"} or {@code "ca"}). */
        void reloaded(String what, Path file);

        /** The files changed but could not be used; the previous material stays in use. */
        void failed(String what, Path file, Exception cause);

        Listener NONE = new Listener() {
            @Override
            public void reloaded(String what, Path file) {
            }

            @Override
            public void failed(String what, Path file, Exception cause) {
            }
        };
    }

    private final Path certFile;
    private final Path keyFile;
    private final Path caFile;
    private final Listener listener;
    private final AdvancedTlsX509KeyManager keys;
    private final AdvancedTlsX509TrustManager trust;
    private final ScheduledFuture<?> refresh;
    // last bytes installed (or refused: a refused file is not retried until it changes again, except
    // a pair, whose key may still be on its way); touched only by the constructor and the scheduler
    private byte[] certBytes;
    private byte[] keyBytes;
    private byte[] caBytes;

    private ReloadingCredentials(Path certFile, Path keyFile, Path caFile, boolean verifyHost, Duration period,
                                 ScheduledExecutorService scheduler, Listener listener) {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(certFile == null
                    ? "certificate: missing (a private key " + keyFile + " was given without its certificate)"
                    : "key: missing (a certificate " + certFile + " was given without its private key)");
        }
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.caFile = caFile;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.keys = certFile == null ? null : new AdvancedTlsX509KeyManager();
        try {
            this.trust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(verifyHost
                            ? AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION
                            : AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                    .build();
            if (caFile == null) {
                trust.useSystemDefaultTrustCerts();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("trust manager: " + e.getMessage(), e);
        }
        // the first load fails loudly: a member or client that cannot read its files does not start
        if (keys != null) {
            byte[] cert = read(certFile);
            byte[] key = read(keyFile);
            installIdentity(cert, key);
        }
        if (caFile != null) {
            installCa(read(caFile));
        }
        long ms = period.toMillis();
        this.refresh = scheduler.scheduleWithFixedDelay(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * A server's material: its certificate and key, and the CA that signs the client certificates it
     * accepts ({@code clientCa} may be null: then no client certificate is verified against anything
     * but the JDK's default CAs, so a server that authenticates clients must give one).
     */
    public static ReloadingCredentials forServer(Path cert, Path key, Path clientCa, Duration period,
                                                 ScheduledExecutorService scheduler, Listener listener) {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        return new ReloadingCredentials(cert, key, clientCa, false, period, scheduler, listener);
    }

    /**
     * A client's material: the CA that signed the servers' certificates (null: the JDK's default
     * CAs), and optionally its own certificate and key (both or neither). Server host names are
     * verified against the certificates.
     */
    public static ReloadingCredentials forClient(Path ca, Path cert, Path key, Duration period,
                                                 ScheduledExecutorService scheduler, Listener listener) {
        return new ReloadingCredentials(cert, key, ca, true, period, scheduler, listener);
    }

    /** The identity presented in handshakes; null for a client without a certificate. */
    public X509ExtendedKeyManager keyManager() {
        return keys;
    }

    /** Verifies the other side's certificate against the CA file (or the JDK's defaults). */
    public X509ExtendedTrustManager trustManager() {
        return trust;
    }

    /** Compares the files with the installed material and installs what changed (also run every period). */
    public synchronized void refresh() {
        if (keys != null) {
            try {
                byte[] cert = read(certFile);
                byte[] key = read(keyFile);
                if (!Arrays.equals(cert, certBytes) || !Arrays.equals(key, keyBytes)) {
                    installIdentity(cert, key);
                    listener.reloaded("certificate", certFile);
                }
            } catch (RuntimeException e) {
                listener.failed("certificate", certFile, e);
            }
        }
        if (caFile != null) {
            try {
                byte[] ca = read(caFile);
                if (!Arrays.equals(ca, caBytes)) {
                    caBytes = ca; // a bad CA file is reported once, not every period
                    installCa(ca);
                    listener.reloaded("ca", caFile);
                }
            } catch (RuntimeException e) {
                listener.failed("ca", caFile, e);
            }
        }
    }

    private synchronized void installIdentity(byte[] cert, byte[] key) {
        X509Certificate[] chain;
        PrivateKey privateKey;
        try {
            chain = CertificateUtils.getX509Certificates(new ByteArrayInputStream(cert));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(certFile + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
        if (chain.length == 0) {
            throw new IllegalArgumentException(certFile + ": no certificate in the file (expected: PEM -----BEGIN CERTIFICATE-----)");
        }
        try {
            privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(key));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(keyFile + ": not a PEM PKCS#8 private key (" + e.getMessage() + ")", e);
        }
        if (!signsFor(privateKey, chain[0])) {
            throw new IllegalArgumentException(keyFile + ": this key does not belong to the certificate in " + certFile);
        }
        keys.updateIdentityCredentials(chain, privateKey);
        certBytes = cert;
        keyBytes = key;
    }

    private void installCa(byte[] ca) {
        try {
            X509Certificate[] cas = CertificateUtils.getX509Certificates(new ByteArrayInputStream(ca));
            if (cas.length == 0) {
                throw new IllegalArgumentException(caFile + ": no certificate in the file (expected: PEM -----BEGIN CERTIFICATE-----)");
            }
            trust.updateTrustCredentials(cas);
            caBytes = ca;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(caFile + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key: it signs, the certificate verifies. */
    static boolean signsFor(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] probe = "muster key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e + ")", e);
        }
    }

    /** Stops watching the files; the managers keep the material they hold. */
    @Override
    public void close() {
        refresh.cancel(false);
    }
}
