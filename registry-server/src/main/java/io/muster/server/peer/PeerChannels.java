package io.muster.server.peer;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.muster.api.v1.Member;
import io.muster.server.config.HostPort;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Every member-to-member gRPC channel of this member: one per member peer address, shared by
 * forwarded writes, keep-alive relays, TTL report routing and liveness probes. Addresses come only
 * from {@link PeerDirectory} entries (the configuration or the Raft log), never from a request.
 *
 * <p>Thread-safe. Channels run their callbacks on the executor given at construction.
 */
public final class PeerChannels implements AutoCloseable {

    private final String selfId;
    private final PeerDirectory directory;
    private final Executor callExecutor;
    // a member id to the TLS client context that accepts only that member; null = plaintext
    private final Function<String, SslContext> tls;
    private final Map<HostPort, HostPort> dialRoutes;
    private final Map<Dial, ManagedChannel> channels = new ConcurrentHashMap<>();

    /** A channel is for one member at one address: its TLS accepts that member only. */
    private record Dial(String memberId, HostPort address) {
    }
    private volatile boolean closed;

    /** Plaintext channels. */
    public PeerChannels(String selfId, PeerDirectory directory, Executor callExecutor) {
        this(selfId, directory, callExecutor, null, Map.of());
    }

    /**
     * @param tls a member id to the peer TLS client context for that member (this member's
     *            certificate; only that member's accepted), or null for plaintext
     */
    public PeerChannels(String selfId, PeerDirectory directory, Executor callExecutor, Function<String, SslContext> tls) {
        this(selfId, directory, callExecutor, tls, Map.of());
    }

    /**
     * @param dialRoutes a member's peer address to the address dialled instead (a fault-injection
     *                   test's proxy, {@code NodeConfig.dialRoutes}); the member is still known by its
     *                   own address
     */
    public PeerChannels(String selfId, PeerDirectory directory, Executor callExecutor, Map<HostPort, HostPort> dialRoutes) {
        this(selfId, directory, callExecutor, null, dialRoutes);
    }

    public PeerChannels(String selfId, PeerDirectory directory, Executor callExecutor, Function<String, SslContext> tls,
                        Map<HostPort, HostPort> dialRoutes) {
        this.selfId = selfId;
        this.directory = directory;
        this.callExecutor = callExecutor;
        this.tls = tls;
        this.dialRoutes = Map.copyOf(dialRoutes);
    }

    public String selfId() {
        return selfId;
    }

    public PeerDirectory directory() {
        return directory;
    }

    /** A channel to the member's peer listener, or empty when its entry has no valid peer address. */
    public Optional<ManagedChannel> channel(Member member) {
        return PeerDirectory.peerAddress(member).map(a -> channel(new Dial(member.getId(), a)));
    }

    private ManagedChannel channel(Dial dial) {
        if (closed) {
            throw Status.UNAVAILABLE.withDescription("member " + selfId + " is shutting down").asRuntimeException();
        }
        return channels.computeIfAbsent(dial, d -> transport(d.memberId(),
                        NettyChannelBuilder.forAddress(dialRoutes.getOrDefault(d.address(), d.address()).socketAddress()))
                .executor(callExecutor)
                // callers retry themselves, with their own deadlines
                .disableRetry()
                .build());
    }

    private NettyChannelBuilder transport(String memberId, NettyChannelBuilder b) {
        return tls == null ? b.usePlaintext() : b.sslContext(tls.apply(memberId));
    }

    /** Headers that mark a call as forwarded by this member. */
    public Metadata forwardedHeaders() {
        Metadata headers = new Metadata();
        headers.put(Forwarder.FORWARDED_BY, selfId);
        return headers;
    }

    /** Calls member {@code memberId} (by the directory) on its peer listener, marked forwarded, once. */
    public <Q, R> CompletableFuture<R> callMember(String memberId, MethodDescriptor<Q, R> method, Q request, long timeoutMs) {
        Optional<Member> m = directory.byId(memberId);
        if (m.isEmpty()) {
            return CompletableFuture.failedFuture(unavailable("member " + memberId + " is not in the member directory; retry"));
        }
        return call(m.get(), method, request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    /** Calls {@code to} on its peer listener, marked forwarded, once, until {@code deadlineNanos}. */
    public <Q, R> CompletableFuture<R> call(Member to, MethodDescriptor<Q, R> method, Q request, long deadlineNanos) {
        Optional<ManagedChannel> channel;
        try {
            channel = channel(to);
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (channel.isEmpty()) {
            return CompletableFuture.failedFuture(unavailable("member " + to.getId() + " has no valid peer address ('"
                    + to.getPeerAddress() + "'); retry once the leader has published it"));
        }
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        ClientCall<Q, R> call = MetadataUtils.newAttachHeadersInterceptor(forwardedHeaders())
                .interceptCall(method, options, channel.get());
        CompletableFuture<R> f = new CompletableFuture<>();
        ListenableFuture<R> lf = ClientCalls.futureUnaryCall(call, request);
        lf.addListener(() -> {
            try {
                f.complete(lf.get());
            } catch (ExecutionException e) {
                f.completeExceptionally(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                f.completeExceptionally(e);
            } catch (CancellationException e) {
                f.completeExceptionally(new StatusRuntimeException(Status.CANCELLED));
            }
        }, Runnable::run);
        return f;
    }

    private static StatusRuntimeException unavailable(String message) {
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
