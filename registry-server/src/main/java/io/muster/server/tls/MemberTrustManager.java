package io.muster.server.tls;

import io.muster.certs.Identity;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer only when the current trust (PKIX, the cluster CA as the only anchor) accepts its
 * chain <em>and</em> its certificate carries a member identity ({@code muster://member/ID}). The CA
 * also signs clients' certificates (a gateway's, the CLI's): trust in the CA says "ours", the identity
 * says "a member", and only members may reach the peer listener and the Raft port.
 *
 * <p>Checked inside the handshake, so a refused peer never gets a byte of application data through.
 * The delegate is read on every check: a reloaded CA applies to the next handshake.
 */
final class MemberTrustManager extends X509ExtendedTrustManager {

    private final Supplier<X509ExtendedTrustManager> pkix;

    MemberTrustManager(Supplier<X509ExtendedTrustManager> pkix) {
        this.pkix = pkix;
    }

    /** Refuses a chain whose leaf carries no member identity. */
    static void requireMember(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("no peer certificate");
        }
        Optional<Identity> identity = Identity.of(chain[0]);
        if (identity.isEmpty() || identity.get().kind() != Identity.Kind.MEMBER) {
            throw new CertificateException("not a member certificate (" + identity.map(Identity::toString).orElse("no muster:// identity")
                    + ", subject " + chain[0].getSubjectX500Principal().getName()
                    + "): only members may use the peer and Raft ports");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.get().checkClientTrusted(chain, authType);
        requireMember(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.get().checkServerTrusted(chain, authType);
        requireMember(chain);
    }

    // The socket and engine variants check the chain alone: the engine's endpoint identification
    // (gRPC turns it on for every client) would require the dialled host in the certificate, and what
    // a peer must prove is membership (class comment of PeerTls)
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.get().getAcceptedIssuers();
    }
}
