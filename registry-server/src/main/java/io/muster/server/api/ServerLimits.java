package io.muster.server.api;

import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.muster.server.config.Limits;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Limits} a gRPC server enforces on its transport and per connection, applied to one
 * server builder: message size, HTTP/2 streams and keep-alive policy (enforced by grpc-java and
 * Netty) and the per-connection stream caps of {@link ConnectionStreamLimits}.
 *
 * <p>Per-stream and per-connection memory is bounded here: a client can send at most
 * {@link #FLOW_CONTROL_WINDOW} bytes that the member has not asked for yet (grpc-netty uses the same
 * value for each stream's and for the connection's HTTP/2 window), its headers at most
 * {@link #MAX_INBOUND_METADATA_BYTES}, one message at most {@code max-message-bytes}.
 */
public final class ServerLimits {

    /**
     * HTTP/2 receive window per stream and per connection. Our requests are small (a registration
     * is at most 64 KiB), so a larger window buys nothing but memory a slow handler lets a client
     * fill; grpc-java's default is 1 MiB.
     */
    static final int FLOW_CONTROL_WINDOW = 256 * 1024;
    /** Request headers: ours are a few hundred bytes (deadline, forwarding, user agent). */
    static final int MAX_INBOUND_METADATA_BYTES = 8 * 1024;

    private ServerLimits() {
    }

    /**
     * Applies {@code limits} to a server that serves clients: the transport limits and the
     * per-connection caps of Watch and KeepAlive streams (counted in {@code meters} as
     * {@code muster_connection_streams{method}} and {@code muster_connections_with_streams}).
     */
    public static NettyServerBuilder apply(NettyServerBuilder builder, Limits limits, MeterRegistry meters) {
        transport(builder, limits);
        builder.intercept(new ConnectionStreamLimits(limits).bind(meters));
        return builder;
    }

    /**
     * The transport limits only (message and metadata size, flow-control window, concurrent calls,
     * keep-alive policy, idle connections), for a listener whose peers multiplex many clients'
     * streams on one connection.
     */
    public static NettyServerBuilder transport(NettyServerBuilder builder, Limits limits) {
        builder.maxInboundMessageSize(limits.maxMessageBytes())
                .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
                .permitKeepAliveTime(limits.permitKeepAliveTimeMs(), TimeUnit.MILLISECONDS)
                // clients ping idle connections (ours do, to detect a dead member): allowed, at
                // the permitted rate
                .permitKeepAliveWithoutCalls(true);
        if (limits.maxConnectionIdleMs() > 0) {
            builder.maxConnectionIdle(limits.maxConnectionIdleMs(), TimeUnit.MILLISECONDS);
        }
        return builder;
    }
}
