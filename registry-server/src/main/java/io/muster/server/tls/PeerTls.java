package io.muster.server.tls;

import io.grpc.netty.GrpcSslContexts;
import io.muster.certs.IssuedCertificate;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's mutual TLS for member-to-member traffic: the peer listener and its channels (gRPC) and
 * the Raft transport (bolt). Both ends present this member's certificate and accept a peer only if
 * the cluster CA signed its certificate and it carries a member identity ({@link MemberTrustManager});
 * the member this one dials must carry <em>its own</em> identity ({@code muster://member/<its id>}).
 *
 * <p>The material comes from three PEM files and lives in memory only (an in-memory PKCS12 key store
 * feeds the JDK's key and trust managers; no key store is written to disk). The SSL contexts are
 * built once per transport; their key and trust managers read the current material on every
 * handshake, so {@link #reloadIfChanged()} (called periodically by the member) rotates the
 * certificate, key and CA for every new connection of both transports without a restart.
 * Connections already open keep the session they have.
 *
 * <p>No hostname verification: members dial each other by the addresses in the configuration and
 * the Raft log, and what a peer must prove is "a member of this cluster" (CA and member identity) and,
 * on a connection this member opens, "the member I dialled" (the id the member directory has at that
 * address), not a host name. Thread-safe.
 */
public final class PeerTls {

    private static final Logger log = LoggerFactory.getLogger(PeerTls.class);
    private static final char[] NO_PASSWORD = new char[0];

    /** One generation of material, read from the files whose bytes it keeps (to see a change). */
    private record Material(long generation, byte[][] files, X509Certificate certificate, X509ExtendedKeyManager keys,
                            X509ExtendedTrustManager trust) {
        String alias() {
            return "member-" + generation;
        }
    }

    private final Path certificateFile;
    private final Path keyFile;
    private final Path caFile;
    private final AtomicLong generations = new AtomicLong();
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong reloadFailures = new AtomicLong();
    private volatile Material current;
    // the generation before: a handshake that chose its alias just before a reload reads its key here
    private volatile Material previous;
    private final X509ExtendedKeyManager keyManager;
    private final X509ExtendedTrustManager trustManager;
    private final Map<String, SslContext> grpcClients = new ConcurrentHashMap<>();

    private PeerTls(Path certificateFile, Path keyFile, Path caFile) {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.caFile = caFile;
        this.keyManager = new ReloadingKeyManager(() -> current.keys(), this::keysFor);
        // PKIX without the engine: checks the chain against the CA, not a host name (see class comment)
        this.trustManager = new MemberTrustManager(() -> current.trust());
    }

    /**
     * Reads and checks the files: the certificate is a member certificate signed by the CA, valid now,
     * and the key is its key.
     *
     * @throws IOException naming the flag and the file that is wrong
     */
    public static PeerTls load(Path certificateFile, Path keyFile, Path caFile) throws IOException {
        PeerTls tls = new PeerTls(certificateFile, keyFile, caFile);
        tls.current = tls.read(tls.readFiles());
        log.info("peer TLS: member certificate {} (serial {}, valid until {}), CA {}", tls.current.certificate().getSubjectX500Principal(),
                tls.current.certificate().getSerialNumber().toString(16), tls.current.certificate().getNotAfter(), caFile);
        return tls;
    }

    private byte[][] readFiles() throws IOException {
        return new byte[][] {read("--peer-tls-cert", certificateFile), read("--peer-tls-key", keyFile), read("--peer-tls-ca", caFile)};
    }

    private static byte[] read(String flag, Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(flag + ": cannot read " + file + ": " + e, e);
        }
    }

    private Material read(byte[][] files) throws IOException {
        X509Certificate ca = IssuedCertificate.readCertificate(caFile);
        IssuedCertificate member = IssuedCertificate.read(certificateFile, keyFile);
        X509Certificate cert = member.certificate();
        check(cert, member.privateKey(), ca);
        long generation = generations.incrementAndGet();
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("member-" + generation, member.privateKey(), NO_PASSWORD, new Certificate[] {cert});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, NO_PASSWORD);
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("cluster-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(anchors);
            return new Material(generation, files, cert, only(kmf.getKeyManagers(), X509ExtendedKeyManager.class),
                    only(tmf.getTrustManagers(), X509ExtendedTrustManager.class));
        } catch (GeneralSecurityException e) {
            throw new IOException("peer TLS: cannot build the key and trust managers: " + e.getMessage(), e);
        }
    }

    private void check(X509Certificate cert, PrivateKey key, X509Certificate ca) throws IOException {
        if (ca.getBasicConstraints() < 0) {
            throw new IOException("--peer-tls-ca: " + caFile + " is not a CA certificate (no basicConstraints CA:true)");
        }
        try {
            cert.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException("--peer-tls-cert: " + certificateFile + " is not signed by the CA in --peer-tls-ca (" + caFile + ")", e);
        }
        try {
            cert.checkValidity();
        } catch (CertificateException e) {
            throw new IOException("--peer-tls-cert: " + certificateFile + " is not valid now (" + cert.getNotBefore() + " to "
                    + cert.getNotAfter() + ")", e);
        }
        try {
            MemberTrustManager.requireMember(new X509Certificate[] {cert});
        } catch (CertificateException e) {
            throw new IOException("--peer-tls-cert: " + certificateFile + ": " + e.getMessage() + " (muster cert create-member)", e);
        }
        try {
            String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
            byte[] probe = "muster peer tls key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            if (!verify.verify(signature)) {
                throw new GeneralSecurityException("signature does not verify");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("--peer-tls-key: " + keyFile + " is not the key of --peer-tls-cert " + certificateFile, e);
        }
    }

    private static <T> T only(Object[] managers, Class<T> type) throws GeneralSecurityException {
        for (Object m : managers) {
            if (type.isInstance(m)) {
                return type.cast(m);
            }
        }
        throw new GeneralSecurityException("no " + type.getSimpleName());
    }

    private X509ExtendedKeyManager keysFor(String alias) {
        Material p = previous;
        return p != null && p.alias().equals(alias) ? p.keys() : current.keys();
    }

    /**
     * Re-reads the three files; when their bytes changed and the new material checks out, it applies
     * to every handshake from now on. A bad set of files (half-rotated, wrong key) is logged and
     * ignored: the member keeps the material it has and tries again on the next call.
     *
     * @return whether new material was applied
     */
    public boolean reloadIfChanged() {
        Material m = current;
        byte[][] files;
        try {
            files = readFiles();
        } catch (IOException | RuntimeException e) {
            reloadFailures.incrementAndGet();
            log.warn("peer TLS: keeping the current certificate: {}", e.getMessage());
            return false;
        }
        if (Arrays.deepEquals(files, m.files())) {
            return false;
        }
        try {
            Material next = read(files);
            previous = m;
            current = next;
            reloads.incrementAndGet();
            log.info("peer TLS: reloaded, member certificate serial {} valid until {}", next.certificate().getSerialNumber().toString(16),
                    next.certificate().getNotAfter());
            return true;
        } catch (IOException | RuntimeException e) {
            reloadFailures.incrementAndGet();
            log.warn("peer TLS: the files changed but do not check out, keeping the current certificate: {}", e.getMessage());
            return false;
        }
    }

    /** The member certificate presented now. */
    public X509Certificate certificate() {
        return current.certificate();
    }

    /** New material applied since start. */
    public long reloads() {
        return reloads.get();
    }

    /** Reload attempts that found unreadable or inconsistent files. */
    public long reloadFailures() {
        return reloadFailures.get();
    }

    /** The key manager (this member's current certificate) and trust manager (CA + member identity). */
    public KeyManager keyManager() {
        return keyManager;
    }

    public TrustManager trustManager() {
        return trustManager;
    }

    /**
     * OpenSSL (BoringSSL, netty-tcnative) where its native library loads, else the JDK: the same
     * choice as the public port's (docs/benchmarks.md, "Peer mTLS"), made here so that both peer
     * transports use the provider the numbers picked whatever Netty's default is.
     */
    static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The peer listener's context: HTTP/2 by ALPN, a member's client certificate required. */
    public SslContext grpcServerContext() throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), provider())
                .trustManager(trustManager)
                .clientAuth(ClientAuth.REQUIRE)
                .build();
    }

    /**
     * The context of this member's peer channel to member {@code memberId}: presents this member's
     * certificate and accepts only {@code memberId}'s ({@code muster://member/<memberId>}). One per
     * member, built once.
     */
    public SslContext grpcClientContext(String memberId) {
        return grpcClients.computeIfAbsent(memberId, id -> {
            try {
                return GrpcSslContexts.configure(SslContextBuilder.forClient(), provider())
                        .keyManager(keyManager)
                        .trustManager(new MemberTrustManager(() -> current.trust(), MemberTrustManager.Dialled.member(id)))
                        .endpointIdentificationAlgorithm(null)
                        .build();
            } catch (SSLException e) {
                throw new IllegalStateException("peer TLS: cannot build the client context for member " + id + ": " + e.getMessage(), e);
            }
        });
    }

    /** The Raft port's context (bolt's own framing inside TLS), a member's client certificate required. */
    public SslContext raftServerContext() throws SSLException {
        return SslContextBuilder.forServer(keyManager).sslProvider(provider()).trustManager(trustManager)
                .clientAuth(ClientAuth.REQUIRE).build();
    }

    /**
     * The Raft client's context: the member at the address dialled ({@code memberAt}: host as dialled
     * and port to member id, from the member directory) must present its own identity; an address of
     * no known member is refused. Its handlers must be made with the address dialled
     * ({@code SslContext.newHandler(alloc, host, port)}, as {@code raft/BoltTls} does).
     */
    public SslContext raftClientContext(BiFunction<String, Integer, Optional<String>> memberAt) throws SSLException {
        return SslContextBuilder.forClient().sslProvider(provider()).keyManager(keyManager)
                .trustManager(new MemberTrustManager(() -> current.trust(), MemberTrustManager.Dialled.byAddress(memberAt)))
                .endpointIdentificationAlgorithm(null).build();
    }

    /**
     * The start-up check of a member's own peer certificate ({@code --peer-tls-cert}): a certificate
     * without a member identity fails here, as one message naming the flag and the file, before
     * anything starts, rather than when the peer TLS is loaded.
     */
    public static void checkOwnCertificate(String flag, java.nio.file.Path file, java.security.cert.X509Certificate[] chain) {
        try {
            MemberTrustManager.requireMember(chain);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException(flag + ": " + file + ": " + e.getMessage() + " (muster cert create-member)", e);
        }
    }
}
