package io.muster.server.health;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A real gRPC server on 127.0.0.1 serving grpc.health.v1 through grpc-services' HealthStatusManager. */
final class GrpcBackend implements AutoCloseable {

    private final HealthStatusManager health;
    private final Server server;

    private GrpcBackend(Server server, HealthStatusManager health) {
        this.server = server;
        this.health = health;
    }

    static GrpcBackend start() {
        HealthStatusManager health = new HealthStatusManager();
        try {
            Server s = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .addService(health.getHealthService())
                    .build()
                    .start();
            return new GrpcBackend(s, health);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return server.getPort();
    }

    void set(String service, ServingStatus status) {
        health.setStatus(service, status);
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
