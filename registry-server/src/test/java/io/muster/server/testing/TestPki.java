package io.muster.server.testing;

import io.grpc.netty.GrpcSslContexts;
import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import io.muster.server.config.PeerTlsFiles;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslProvider;
import com.google.common.net.HostAndPort;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A cluster CA for tests and the PEM files it issues, under one directory: member certificates as
 * {@code --peer-tls-*} files, and client-side TLS contexts holding any certificate (a member's, a
 * client's, another CA's) to knock on a member's ports with.
 */
public final class TestPki {

    private static final Duration VALIDITY = Duration.ofDays(1);

    private final Path dir;
    private final CertificateAuthority ca;
    private final Path caFile;

    private TestPki(Path dir, String name) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.ca = CertificateAuthority.create(name);
        this.caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, ca.certificate().certificatePem());
    }

    /** A new CA named {@code name} writing its files under {@code dir}. */
    public static TestPki create(Path dir, String name) {
        try {
            return new TestPki(dir, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CA in a new temporary directory (under the build's tmpdir). */
    public static TestPki create(String name) {
        try {
            return create(Files.createTempDirectory("muster-pki-"), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Path caFile() {
        return caFile;
    }

    /** A member certificate for {@code id} on 127.0.0.1, written as {@code ID.pem} / {@code ID-key.pem}. */
    public PeerTlsFiles member(String id) {
        return write(id, ca.issueMember(id, List.of("localhost"), List.of("127.0.0.1"), VALIDITY));
    }

    /** A client certificate (a gateway's, the CLI's) for {@code name}, written like {@link #member}. */
    public PeerTlsFiles client(String name) {
        return write(name, ca.issueClient(name, VALIDITY));
    }

    private PeerTlsFiles write(String name, IssuedCertificate issued) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + "-key.pem");
        try {
            issued.write(cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PeerTlsFiles(cert, key, caFile);
    }

    /** The serial number of the certificate in {@code files}. */
    public static java.math.BigInteger serial(PeerTlsFiles files) {
        try {
            return IssuedCertificate.readCertificate(files.certificate()).getSerialNumber();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The certificate the TLS server at {@code hostPort} presents to a client holding {@code as}
     * (a plain TLS handshake: no HTTP/2, no bolt).
     */
    public static X509Certificate presentedCertificate(PeerTlsFiles as, HostAndPort hostPort) {
        try {
            IssuedCertificate own = IssuedCertificate.read(as.certificate(), as.key());
            SslContext ctx = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .keyManager(own.privateKey(), own.certificate())
                    .trustManager(IssuedCertificate.readCertificate(as.ca()))
                    .endpointIdentificationAlgorithm(null).build();
            try (SSLSocket socket = (SSLSocket) ((JdkSslContext) ctx).context().getSocketFactory()
                    .createSocket(hostPort.getHost(), hostPort.getPort())) {
                socket.setSoTimeout(5_000);
                socket.startHandshake();
                return (X509Certificate) socket.getSession().getPeerCertificates()[0];
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A client context that presents {@code files}' certificate and trusts {@code files}' CA, without
     * host name checks: for bolt ({@code h2 = false}) or gRPC ({@code h2 = true}).
     */
    public static SslContext clientContext(PeerTlsFiles files, boolean h2) {
        try {
            IssuedCertificate own = IssuedCertificate.read(files.certificate(), files.key());
            SslContextBuilder b = SslContextBuilder.forClient()
                    .keyManager(own.privateKey(), own.certificate())
                    .trustManager(IssuedCertificate.readCertificate(files.ca()))
                    .endpointIdentificationAlgorithm(null);
            return (h2 ? GrpcSslContexts.configure(b) : b).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
