package io.muster.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS on the public gRPC port ({@code --tls-cert}, {@code --tls-key}, {@code --tls-client-ca},
 * {@code --tls-client-auth}) and on the HTTP/JSON API port, which serves the same certificate with
 * a client authentication of its own ({@code --http-tls-client-auth}, as Consul's
 * {@code verify_incoming_https}: a browser reaching the console usually holds no client
 * certificate, and the API's tokens protect it either way). The files are PEM (the key PKCS#8, as
 * {@code muster cert} writes it) and are re-read every {@code reloadPeriod}: replacing them rotates
 * the certificate without a restart. Validation errors name the flag.
 *
 * @param cert           the member's certificate (chain), PEM
 * @param key            its private key, PEM PKCS#8
 * @param clientCa       the CA that signs accepted client certificates; required unless both modes are NONE
 * @param clientAuth     whether clients of the gRPC port present a certificate
 * @param httpClientAuth whether clients of the HTTP/JSON API port (and so the console) present one
 * @param reloadPeriod   how often the files are compared with what is in use
 */
public record PublicTls(Path cert, Path key, Path clientCa, ClientAuth clientAuth, ClientAuth httpClientAuth, Duration reloadPeriod) {

    public static final Duration DEFAULT_RELOAD_PERIOD = Duration.ofSeconds(5);

    /** Whether a client certificate is asked for ({@code --tls-client-auth}). */
    public enum ClientAuth {
        /** none asked for */
        NONE,
        /** asked for, verified when presented, a client without one is served */
        OPTIONAL,
        /** a client without a certificate signed by the client CA cannot connect */
        REQUIRE;

        /** {@code none|optional|require}, naming {@code --tls-client-auth} when it is none of them. */
        public static ClientAuth parse(String value) {
            return parse("tls-client-auth", value);
        }

        /** {@code none|optional|require}, naming {@code flag} when it is none of them. */
        public static ClientAuth parse(String flag, String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(flag + ": '" + value + "' (expected: none, optional or require)");
            }
        }

        String flagValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The HTTP/JSON API port asks what the gRPC port asks (the default, {@link #of}). */
    public PublicTls(Path cert, Path key, Path clientCa, ClientAuth clientAuth, Duration reloadPeriod) {
        this(cert, key, clientCa, clientAuth, clientAuth, reloadPeriod);
    }

    public PublicTls {
        readable("tls-cert", Objects.requireNonNull(cert, "tls-cert"));
        readable("tls-key", Objects.requireNonNull(key, "tls-key"));
        Objects.requireNonNull(clientAuth, "tls-client-auth");
        Objects.requireNonNull(httpClientAuth, "http-tls-client-auth");
        Objects.requireNonNull(reloadPeriod, "reload period");
        if (clientAuth != ClientAuth.NONE && clientCa == null) {
            throw new IllegalArgumentException("tls-client-ca: missing (--tls-client-auth " + clientAuth.flagValue()
                    + " verifies client certificates against it)");
        }
        if (httpClientAuth != ClientAuth.NONE && clientCa == null) {
            throw new IllegalArgumentException("tls-client-ca: missing (--http-tls-client-auth " + httpClientAuth.flagValue()
                    + " verifies client certificates against it)");
        }
        if (clientCa != null) {
            readable("tls-client-ca", clientCa);
        }
        if (reloadPeriod.isNegative() || reloadPeriod.isZero()) {
            throw new IllegalArgumentException("tls reload period: " + reloadPeriod + " (expected: > 0)");
        }
    }

    /** {@link #of(Path, Path, Path, String, String)} with the HTTP port asking what the gRPC port asks. */
    public static PublicTls of(Path cert, Path key, Path clientCa, String clientAuth) {
        return of(cert, key, clientCa, clientAuth, null);
    }

    /**
     * The public port's TLS from the flags / YAML keys, or null (plain text) when none is given.
     *
     * @param httpClientAuth {@code --http-tls-client-auth}, or null: the same as the gRPC port's
     *                       (a member hardened with client certificates stays so on every port
     *                       unless told otherwise, as Consul's HTTPS inherits {@code verify_incoming})
     * @throws IllegalArgumentException naming the flag: one of the pair missing, an unreadable file,
     *                                  client authentication without a CA, a mode that is not one
     */
    public static PublicTls of(Path cert, Path key, Path clientCa, String clientAuth, String httpClientAuth) {
        if (cert == null && key == null) {
            if (clientCa != null || clientAuth != null || httpClientAuth != null) {
                throw new IllegalArgumentException((clientCa != null ? "tls-client-ca" : clientAuth != null ? "tls-client-auth" : "http-tls-client-auth")
                        + ": needs TLS on the port (--tls-cert and --tls-key)");
            }
            return null;
        }
        if (cert == null) {
            throw new IllegalArgumentException("tls-cert: missing (--tls-key is set; TLS needs both)");
        }
        if (key == null) {
            throw new IllegalArgumentException("tls-key: missing (--tls-cert is set; TLS needs both)");
        }
        ClientAuth auth = clientAuth == null ? (clientCa == null ? ClientAuth.NONE : ClientAuth.REQUIRE) : ClientAuth.parse(clientAuth);
        ClientAuth http = httpClientAuth == null ? auth : ClientAuth.parse("http-tls-client-auth", httpClientAuth);
        return new PublicTls(cert, key, clientCa, auth, http, DEFAULT_RELOAD_PERIOD);
    }

    public PublicTls withReloadPeriod(Duration period) {
        return new PublicTls(cert, key, clientCa, clientAuth, httpClientAuth, period);
    }

    /** The same files and gRPC port, with {@code --http-tls-client-auth mode}. */
    public PublicTls withHttpClientAuth(ClientAuth mode) {
        return new PublicTls(cert, key, clientCa, clientAuth, mode, reloadPeriod);
    }

    private static void readable(String flag, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(flag + ": " + file + " (a directory, not a file)");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(flag + ": " + file + " (no such file)");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(flag + ": " + file + " (not readable by this user)");
        }
    }
}
