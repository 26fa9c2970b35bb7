package io.muster.bench;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.muster.certs.CertificateAuthority;
import io.muster.testkit.ProcessCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark cluster's security, as a member of a secure deployment runs it (deploy/local/run.sh):
 * TLS on the public port (and the HTTP and metrics ports) with client certificates required
 * ({@code --tls}), mutual TLS between members ({@code --peer-tls}), ACLs with the bootstrap token
 * ({@code --acl}). One cluster CA under {@code <work dir>/pki} issues a member certificate per member
 * (public and peer ports alike) and the benchmark's client certificate.
 */
final class SecureSetup {

    private final boolean tls;
    private final boolean peerTls;
    private final boolean acl;
    private final Path dir;
    private final Path pki;
    private final CertificateAuthority ca;

    private SecureSetup(Path dir, boolean tls, boolean peerTls, boolean acl) throws IOException {
        this.tls = tls;
        this.peerTls = peerTls;
        this.acl = acl;
        this.dir = dir.toAbsolutePath();
        // absolute: the members run in the work dir
        this.pki = Files.createDirectories(dir.resolve("pki").toAbsolutePath());
        this.ca = tls || peerTls ? CertificateAuthority.create("muster-bench-ca") : null;
        if (ca != null) {
            Files.writeString(caFile(), ca.certificate().certificatePem());
        }
        if (tls) {
            ca.issueClient("bench", Duration.ofDays(1)).write(pki.resolve("client-bench.pem"), pki.resolve("client-bench-key.pem"));
        }
    }

    static SecureSetup create(Path dir, boolean tls, boolean peerTls, boolean acl) throws IOException {
        return new SecureSetup(dir, tls, peerTls, acl);
    }

    private Path caFile() {
        return pki.resolve("ca.pem");
    }

    /** One line for the benchmark's header. */
    String describe() {
        return "# security: public TLS " + (tls ? "on (client certificates required)" : "off") + ", peer mTLS "
                + (peerTls ? "on (peer listener and Raft)" : "off") + ", ACLs " + (acl ? "on (bootstrap token)" : "off")
                + (tls || peerTls ? ", TLS provider of the members: " + (io.netty.handler.ssl.OpenSsl.isAvailable() ? "OpenSSL" : "JDK") : "");
    }

    /** The members' flags and, with TLS, the cluster's own client files. */
    ProcessCluster.Builder applyTo(ProcessCluster.Builder b) {
        b.memberFlags(this::memberFlags).memberArgs(acl ? List.of("--acl-enabled") : List.of());
        if (acl) {
            // the cluster's own calls (awaitLeader) need a token too: the bootstrap token, once written
            b.token(this::bootstrapTokenIfWritten);
        }
        if (tls) {
            b.clientTls(new ProcessCluster.ClientTls(caFile(), pki.resolve("client-bench.pem"), pki.resolve("client-bench-key.pem")));
        }
        return b;
    }

    private List<String> memberFlags(String id) {
        if (!tls && !peerTls) {
            return List.of();
        }
        Path cert = pki.resolve(id + ".pem");
        Path key = pki.resolve(id + "-key.pem");
        try {
            ca.issueMember(id, List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).write(cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> flags = new ArrayList<>();
        if (tls) {
            flags.addAll(List.of("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", caFile().toString(),
                    "--tls-client-auth", "require"));
        }
        if (peerTls) {
            flags.addAll(List.of("--peer-tls-cert", cert.toString(), "--peer-tls-key", key.toString(), "--peer-tls-ca", caFile().toString()));
        }
        return flags;
    }

    /** The bootstrap token if a member (n1..n9, ProcessCluster's ids) has written it yet. */
    private String bootstrapTokenIfWritten() {
        for (int i = 1; i <= 9; i++) {
            Path f = dir.resolve("n" + i).resolve("acl-bootstrap-token");
            try {
                if (Files.exists(f)) {
                    String t = Files.readString(f).strip();
                    if (!t.isEmpty()) {
                        return t;
                    }
                }
            } catch (IOException e) {
                // being renamed into place: the next call reads it
            }
        }
        return null;
    }

    /** The bootstrap token as call credentials, or null without ACLs. */
    ClientInterceptor token(List<ProcessCluster.Member> members) throws InterruptedException {
        if (!acl) {
            return null;
        }
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bootstrapToken(members));
        return MetadataUtils.newAttachHeadersInterceptor(h);
    }

    /** The bootstrap token the first leader wrote (in its data dir), once it is there. */
    private static String bootstrapToken(List<ProcessCluster.Member> ns) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            for (ProcessCluster.Member n : ns) {
                Path f = n.dataDir().resolve("acl-bootstrap-token");
                if (Files.exists(f)) {
                    try {
                        return Files.readString(f).strip();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no bootstrap token file within 60 s");
    }
}
