package io.muster.server.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The PEM files of a member's mutual TLS on the peer listener and the Raft transport
 * ({@code --peer-tls-cert}, {@code --peer-tls-key}, {@code --peer-tls-ca}): its own certificate (a
 * member certificate of the cluster CA, {@code muster://member/ID}), its private key, and the cluster
 * CA's certificate, the only issuer accepted from other members.
 */
public record PeerTlsFiles(Path certificate, Path key, Path ca) {

    public PeerTlsFiles {
        Objects.requireNonNull(certificate, "peer-tls-cert");
        Objects.requireNonNull(key, "peer-tls-key");
        Objects.requireNonNull(ca, "peer-tls-ca");
    }

    /**
     * The three files, or null when none is given.
     *
     * @throws IllegalArgumentException only some are given
     */
    public static PeerTlsFiles of(Path certificate, Path key, Path ca) {
        if (certificate == null && key == null && ca == null) {
            return null;
        }
        if (certificate == null || key == null || ca == null) {
            java.util.List<String> given = new java.util.ArrayList<>();
            if (certificate != null) {
                given.add("--peer-tls-cert");
            }
            if (key != null) {
                given.add("--peer-tls-key");
            }
            if (ca != null) {
                given.add("--peer-tls-ca");
            }
            throw new IllegalArgumentException("--peer-tls-cert, --peer-tls-key, --peer-tls-ca: give all three or none (got only "
                    + String.join(", ", given) + ")");
        }
        return new PeerTlsFiles(certificate, key, ca);
    }
}
