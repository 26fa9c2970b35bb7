package io.muster.server.api;

import io.grpc.netty.GrpcSslContexts;
import io.muster.api.tls.ReloadingCredentials;
import io.muster.server.config.PublicTls;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port's TLS: the member's certificate and key (and the client CA) from
 * {@link PublicTls}, re-read on the member's scheduler when the files change; a new handshake uses
 * the new certificate, open connections keep theirs. The member's other HTTP listeners serve the same
 * certificate from the same reloading material: the HTTP/JSON API ({@link #httpContext()}, with its
 * own client authentication, {@code --http-tls-client-auth}, by default the public port's) and the metrics port ({@link #metricsContext()},
 * no client certificate asked: Prometheus and probes, no catalog data). Close it with the member.
 */
public final class ServerTls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    private final ReloadingCredentials credentials;
    private final SslContext context;
    private final SslContext httpContext;
    private final javax.net.ssl.SSLContext metricsContext;

    private ServerTls(ReloadingCredentials credentials, SslContext context, SslContext httpContext, javax.net.ssl.SSLContext metricsContext) {
        this.credentials = credentials;
        this.context = context;
        this.httpContext = httpContext;
        this.metricsContext = metricsContext;
    }

    /**
     * Reads the files (failing with the file named when one is unusable) and starts watching them.
     *
     * @param provider JDK or OpenSSL ({@link #provider()}); docs/benchmarks.md has the comparison
     */
    public static ServerTls start(String memberId, PublicTls tls, SslProvider provider, ScheduledExecutorService scheduler) {
        ReloadingCredentials credentials = ReloadingCredentials.forServer(tls.cert(), tls.key(), tls.clientCa(),
                tls.reloadPeriod(), scheduler, new ReloadingCredentials.Listener() {
                    @Override
                    public void reloaded(String what, Path file) {
                        log.info("member {}: public port TLS {} reloaded from {}", memberId, what, file);
                    }

                    @Override
                    public void failed(String what, Path file, Exception cause) {
                        log.warn("member {}: public port TLS {} in {} not reloaded, the previous one stays in use: {}",
                                memberId, what, file, cause.getMessage());
                    }
                });
        try {
            SslContextBuilder grpc = clientAuth(GrpcSslContexts.configure(SslContextBuilder.forServer(credentials.keyManager()), provider),
                    tls.clientAuth(), tls, credentials);
            SslContextBuilder http = clientAuth(SslContextBuilder.forServer(credentials.keyManager()).sslProvider(provider),
                    tls.httpClientAuth(), tls, credentials);
            javax.net.ssl.SSLContext metrics = javax.net.ssl.SSLContext.getInstance("TLS");
            metrics.init(new javax.net.ssl.KeyManager[] {credentials.keyManager()}, null, null);
            return new ServerTls(credentials, grpc.build(), http.build(), metrics);
        } catch (SSLException | java.security.GeneralSecurityException | RuntimeException e) {
            credentials.close();
            throw new IllegalArgumentException("tls-cert: cannot build the TLS context (" + e.getMessage() + ")", e);
        }
    }

    private static SslContextBuilder clientAuth(SslContextBuilder b, PublicTls.ClientAuth mode, PublicTls tls,
                                                ReloadingCredentials credentials) {
        if (tls.clientCa() != null) {
            b.trustManager(credentials.trustManager());
        }
        return b.clientAuth(switch (mode) {
            case NONE -> ClientAuth.NONE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case REQUIRE -> ClientAuth.REQUIRE;
        });
    }

    /**
     * OpenSSL (BoringSSL, netty-tcnative) when its native library loads on this machine, else the
     * JDK's provider (docs/benchmarks.md, "TLS provider").
     */
    public static SslProvider provider() {
        // new connections (reconnect storms after a leader change, clients that connect per call)
        // are where the providers differ; calls on open connections cost about the same
        return io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The public gRPC port's (HTTP/2 by ALPN). */
    public SslContext context() {
        return context;
    }

    /** The HTTP/JSON API's (HTTP/1.1): the same certificate, the client authentication of {@code --http-tls-client-auth}. */
    public SslContext httpContext() {
        return httpContext;
    }

    /** The metrics port's (the JDK's HTTPS server): the same certificate, no client certificate asked. */
    public javax.net.ssl.SSLContext metricsContext() {
        return metricsContext;
    }

    @Override
    public void close() {
        credentials.close();
    }
}
