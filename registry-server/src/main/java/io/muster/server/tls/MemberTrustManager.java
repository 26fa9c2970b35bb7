package io.muster.server.tls;

import io.muster.certs.Identity;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer only when the current trust (PKIX, the cluster CA as the only anchor) accepts its
 * chain <em>and</em> its certificate carries a member identity ({@code muster://member/ID}). The CA
 * also signs clients' certificates (a gateway's, the CLI's): trust in the CA says "ours", the identity
 * says "a member", and only members may reach the peer listener and the Raft port.
 *
 * <p>On a connection this member opens, the identity must also be the one of the member it dialled
 * ({@link Dialled}): a member certificate says "a member", the id says "the member I meant to reach",
 * so a member whose key leaked, or a member started at another member's address, cannot take the
 * place of the member it is not.
 *
 * <p>Checked inside the handshake, so a refused peer never gets a byte of application data through.
 * The delegate is read on every check: a reloaded CA applies to the next handshake.
 */
final class MemberTrustManager extends X509ExtendedTrustManager {

    /** Which member a connection this member opens must reach. */
    interface Dialled {
        /**
         * @param engine the client engine of the handshake (its peer host and port: the address dialled)
         * @return the member id the server's certificate must carry
         * @throws CertificateException when no member is known at the address dialled
         */
        String expectedId(SSLEngine engine) throws CertificateException;

        /** Any member (tools and tests that knock on a member's ports; the listening side). */
        Dialled ANY = null;

        /** Always member {@code id} (a peer channel, built for one member). */
        static Dialled member(String id) {
            return engine -> id;
        }

        /**
         * The member at the address dialled, as {@code memberAt} finds it (host as dialled, port);
         * an address of no member is refused.
         */
        static Dialled byAddress(BiFunction<String, Integer, Optional<String>> memberAt) {
            return engine -> {
                if (engine == null || engine.getPeerHost() == null || engine.getPeerPort() <= 0) {
                    throw new CertificateException("the address dialled is unknown, so is the member expected there");
                }
                return memberAt.apply(engine.getPeerHost(), engine.getPeerPort()).orElseThrow(() -> new CertificateException(
                        "no member is known at " + engine.getPeerHost() + ":" + engine.getPeerPort() + " (member directory)"));
            };
        }
    }

    private final Supplier<X509ExtendedTrustManager> pkix;
    private final Dialled dialled;

    MemberTrustManager(Supplier<X509ExtendedTrustManager> pkix) {
        this(pkix, Dialled.ANY);
    }

    MemberTrustManager(Supplier<X509ExtendedTrustManager> pkix, Dialled dialled) {
        this.pkix = pkix;
        this.dialled = dialled;
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

    /** Refuses a member certificate whose identity is not {@code expectedId}'s. */
    static void requireMember(X509Certificate[] chain, String expectedId) throws CertificateException {
        requireMember(chain);
        Identity actual = Identity.of(chain[0]).orElseThrow();
        if (!actual.name().equals(expectedId)) {
            throw new CertificateException("dialled member " + expectedId + " but the certificate is " + actual
                    + " (subject " + chain[0].getSubjectX500Principal().getName() + "): a member may speak only for itself");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.get().checkClientTrusted(chain, authType);
        requireMember(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
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
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix.get().checkServerTrusted(chain, authType);
        if (dialled == Dialled.ANY) {
            requireMember(chain);
        } else {
            requireMember(chain, dialled.expectedId(engine));
        }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.get().getAcceptedIssuers();
    }
}
