package io.muster.client;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.tls.ReloadingCredentials;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * TLS channels to the members: the CA that signed their certificates and, for a server that asks,
 * the client's own certificate; the files are re-read on the client's scheduler when they change,
 * so a long-lived client picks up a rotated certificate on its next connection.
 */
final class TlsChannels implements AutoCloseable {

    /** What the builder was told: the CA (null: the JDK's default CAs), and the client's own pair or nulls. */
    record Files(Path ca, Path cert, Path key, Duration reloadPeriod) {
        Files {
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException(cert == null ? "tls key: given without its certificate"
                        : "tls certificate: given without its private key");
            }
        }
    }

    private final ReloadingCredentials credentials;
    private final SslContext context;

    TlsChannels(Files files, ScheduledExecutorService scheduler) {
        // errors are rare and already thrown at build time; the library logs nothing of its own
        this.credentials = ReloadingCredentials.forClient(files.ca(), files.cert(), files.key(), files.reloadPeriod(),
                scheduler, ReloadingCredentials.Listener.NONE);
        try {
            SslContextBuilder b = GrpcSslContexts.forClient().trustManager(credentials.trustManager());
            if (credentials.keyManager() != null) {
                b.keyManager(credentials.keyManager());
            }
            this.context = b.build();
        } catch (SSLException e) {
            credentials.close();
            throw new IllegalArgumentException("tls: cannot build the TLS context (" + e.getMessage() + ")", e);
        }
    }

    /** Like {@link Endpoints#defaultChannel}, over TLS. */
    ManagedChannelBuilder<?> channel(String target) {
        return NettyChannelBuilder.forTarget(target)
                .sslContext(context)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true);
    }

    @Override
    public void close() {
        credentials.close();
    }
}
