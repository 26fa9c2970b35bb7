package io.muster.server.health.probe;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.GrpcCheck;
import io.muster.server.health.Failures;
import io.muster.server.health.Probe;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import io.muster.server.health.ProbeResult;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * gRPC checks: {@code grpc.health.v1.Health/Check} with the check's service name and a deadline;
 * healthy only on SERVING. Channels are cached per target (and TLS settings) and shared by every check
 * of that target; the last check to let go of a target closes its channel. With {@code use_tls} the
 * channel verifies the certificate chain (the member's trust store, or the check's CA) and host name,
 * unless {@code tls_skip_verify}.
 *
 * <p>Threading: {@link #open} and {@link Probe#close} may be called from any thread.
 */
final class GrpcProber implements AutoCloseable {

    private static final class Shared {
        final ManagedChannel channel;
        int refs;

        Shared(ManagedChannel channel) {
            this.channel = channel;
        }
    }

    private final EventLoopGroup loops;
    private final Map<String, Shared> channels = new HashMap<>();

    /** @param loops the event loops the channels' I/O runs on (the health runtime's, not gRPC's shared ones) */
    GrpcProber(EventLoopGroup loops) {
        this.loops = loops;
    }

    Probe open(String host, int port, GrpcCheck check, Duration timeout) {
        String service = check.getService();
        String target = (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
        SslContext tls;
        try {
            tls = check.getUseTls() ? ssl(check.getTlsCaPem(), check.getTlsSkipVerify()) : null;
        } catch (SSLException | RuntimeException e) {
            ProbeResult failed = ProbeResult.fail("TLS: tls_ca_pem unusable: " + Failures.describe(e));
            return () -> CompletableFuture.completedFuture(failed);
        }
        String key = target + (tls == null ? "" : "|tls|" + check.getTlsSkipVerify() + "|" + check.getTlsCaPem().hashCode()
                + "|" + check.getTlsCaPem().length());
        ManagedChannel channel = acquire(key, target, tls);
        String target0 = key;
        HealthCheckRequest request = HealthCheckRequest.newBuilder().setService(service).build();
        long timeoutMs = timeout.toMillis();
        return new Probe() {
            private boolean closed;

            @Override
            public CompletableFuture<ProbeResult> run() {
                // a backend that was down must be seen coming back within one interval, not after
                // gRPC's reconnect backoff (which grows up to two minutes)
                if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                    channel.resetConnectBackoff();
                }
                CompletableFuture<ProbeResult> result = new CompletableFuture<>();
                HealthGrpc.newStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                        .check(request, new StreamObserver<>() {
                            @Override
                            public void onNext(HealthCheckResponse r) {
                                result.complete(r.getStatus() == HealthCheckResponse.ServingStatus.SERVING
                                        ? ProbeResult.pass("gRPC SERVING") : ProbeResult.fail("gRPC " + r.getStatus()));
                            }

                            @Override
                            public void onError(Throwable t) {
                                result.complete(failure(Status.fromThrowable(t), service, timeoutMs));
                            }

                            @Override
                            public void onCompleted() {
                                result.complete(ProbeResult.fail("gRPC health check ended without an answer"));
                            }
                        });
                return result;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    release(target0);
                }
            }
        };
    }

    static ProbeResult failure(Status s, String service, long timeoutMs) {
        return switch (s.getCode()) {
            case DEADLINE_EXCEEDED -> ProbeResult.timeout(timeoutMs);
            case UNIMPLEMENTED -> ProbeResult.fail("gRPC health service not implemented");
            case NOT_FOUND -> ProbeResult.fail("gRPC service unknown: '" + service + "'");
            case UNAVAILABLE -> hasConnectException(s.getCause()) ? ProbeResult.fail("connect refused")
                    : tlsFailure(s) != null ? ProbeResult.fail(tlsFailure(s))
                    : ProbeResult.fail("gRPC UNAVAILABLE: " + s.getDescription());
            default -> ProbeResult.fail("gRPC " + s.getCode() + ": " + s.getDescription());
        };
    }

    private static String tlsFailure(Status s) {
        return s.getCause() == null ? null : HttpProber.tlsReason(s.getCause());
    }

    private static SslContext ssl(String caPem, boolean skipVerify) throws SSLException {
        SslContextBuilder b = GrpcSslContexts.forClient();
        if (skipVerify) {
            b.trustManager(TrustEverything.INSTANCE);
        } else if (!caPem.isEmpty()) {
            b.trustManager(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
        }
        return b.build();
    }

    private static boolean hasConnectException(Throwable t) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    private synchronized ManagedChannel acquire(String key, String target, SslContext tls) {
        Shared s = channels.computeIfAbsent(key, k -> new Shared(secured(NettyChannelBuilder.forTarget(target), tls)
                .eventLoopGroup(loops)
                .channelType(NioSocketChannel.class)
                .directExecutor()
                .disableRetry()
                .userAgent("muster-health-check")
                .build()));
        s.refs++;
        return s.channel;
    }

    private static NettyChannelBuilder secured(NettyChannelBuilder b, SslContext tls) {
        return tls == null ? b.usePlaintext() : b.useTransportSecurity().sslContext(tls);
    }

    private synchronized void release(String target) {
        Shared s = channels.get(target);
        if (s != null && --s.refs == 0) {
            channels.remove(target);
            s.channel.shutdownNow();
        }
    }

    @Override
    public synchronized void close() {
        channels.values().forEach(s -> s.channel.shutdownNow());
        channels.clear();
    }
}
