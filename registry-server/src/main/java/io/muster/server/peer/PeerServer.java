package io.muster.server.peer;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.muster.server.config.HostPort;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The peer listener: the one port other members call, bound to this member's peer address only
 * (never the public one). It serves member proposals ({@code muster.internal.v1.Internal}), forwarded batches
 * ({@code muster.internal.v1.Forwarding}), the
 * Registry and Cluster calls members forward (only those methods), and {@code grpc.health.v1.Health}
 * for member liveness. Here, and only here, {@code muster-forwarded-by} marks a call as forwarded.
 * With peer TLS ({@code --peer-tls-*}) it is mutual TLS: only members of the cluster CA get in;
 * without, firewall it to the members.
 */
public final class PeerServer implements AutoCloseable {

    private final Server server;
    private final HostPort address;

    private PeerServer(Server server, HostPort address) {
        this.server = server;
        this.address = address;
    }

    /**
     * @param internal  member proposals and forwarded batches ({@link ForwardedBatches})
     * @param forwarded services whose leader-only calls members forward; only {@code methods} of them are served
     * @param methods   full method names members forward
     * @param health    the member's health service (the same one the public port serves)
     * @param intercept interceptors for the forwarded services (e.g. metrics), innermost last
     * @param transport the transport limits of the listener (message size, windows, keep-alive policy)
     * @param wrap      applied to every service definition served (request parsing that answers
     *                  INVALID_ARGUMENT for bytes that do not parse)
     * @param tls       the peer TLS server context (members' client certificates required), or null
     *                  for plaintext
     */
    public static PeerServer start(HostPort address, List<BindableService> internal, List<ServerServiceDefinition> forwarded,
                                   Set<String> methods, BindableService health, List<ServerInterceptor> intercept,
                                   UnaryOperator<NettyServerBuilder> transport,
                                   UnaryOperator<ServerServiceDefinition> wrap, SslContext tls) throws IOException {
        ServerInterceptor marker = ForwardedInterceptor.honouring();
        NettyServerBuilder b = transport.apply(NettyServerBuilder.forAddress(address.socketAddress()))
                // the handlers are the public ones: asynchronous, run on the event loops
                .directExecutor()
                .addService(wrap.apply(health.bindService()));
        if (tls != null) {
            b.sslContext(tls);
        }
        for (BindableService s : internal) {
            b.addService(wrap.apply(ServerInterceptors.intercept(s, marker)));
        }
        for (ServerServiceDefinition d : forwarded) {
            ServerServiceDefinition only = only(d, methods);
            if (!only.getMethods().isEmpty()) {
                ServerServiceDefinition with = ServerInterceptors.intercept(only, intercept);
                b.addService(wrap.apply(ServerInterceptors.intercept(with, marker)));
            }
        }
        return new PeerServer(b.build().start(), address);
    }

    private static ServerServiceDefinition only(ServerServiceDefinition d, Set<String> methods) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(d.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : d.getMethods()) {
            if (methods.contains(m.getMethodDescriptor().getFullMethodName())) {
                b.addMethod(m);
            }
        }
        return b.build();
    }

    public int port() {
        return server.getPort();
    }

    public HostPort address() {
        return address;
    }

    /** Stops accepting calls; waits briefly for those in flight. */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }
}
