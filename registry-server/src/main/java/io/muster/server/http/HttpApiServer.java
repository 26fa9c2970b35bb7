package io.muster.server.http;

import io.grpc.Channel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The member's HTTP/JSON API ({@code docs/api.md}): a transcoder onto the member's own public gRPC
 * services. Every request becomes a gRPC call on {@code grpc}, an in-process channel to the same
 * service instances with the same interceptors as the public gRPC port, so validation, error texts,
 * read consistency, forwarding to the leader and access checks are the gRPC API's, not a copy.
 *
 * <p>Threads: one Netty event loop group of its own ({@code muster-<id>-http}); a connection's gRPC
 * callbacks run on its event loop, so a connection's state is touched by one thread.
 */
public final class HttpApiServer implements AutoCloseable {

    /**
     * @param maxBodyBytes    a larger request body is answered 413
     * @param requestDeadline the deadline of every unary call a request makes
     * @param progressIntervalMs how often an idle SSE watch gets a heartbeat comment (the gRPC watch's PROGRESS)
     */
    public record Options(String host, int port, int threads, int maxBodyBytes, Duration requestDeadline, int progressIntervalMs) {
        public static final int DEFAULT_MAX_BODY_BYTES = 256 * 1024;
        public static final Duration DEFAULT_REQUEST_DEADLINE = Duration.ofSeconds(10);
        public static final int DEFAULT_PROGRESS_INTERVAL_MS = 15_000;

        public Options {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("http-port: " + port + " (expected: 1-65535)");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads: " + threads + " (expected: at least 1)");
            }
            if (maxBodyBytes < 1024) {
                throw new IllegalArgumentException("maxBodyBytes: " + maxBodyBytes + " (expected: at least 1024)");
            }
            if (requestDeadline.isNegative() || requestDeadline.isZero()) {
                throw new IllegalArgumentException("requestDeadline: " + requestDeadline + " (expected: positive)");
            }
        }

        public static Options defaults(String host, int port) {
            return new Options(host, port, 1, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_DEADLINE, DEFAULT_PROGRESS_INTERVAL_MS);
        }
    }

    /**
     * What a connection may buffer towards a slow client before its SSE watch stops asking the
     * gRPC stream for more (the watch then falls behind in the member's history, never blocks it).
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 256 * 1024);

    private final EventLoopGroup group;
    private final io.netty.channel.Channel listener;

    private HttpApiServer(EventLoopGroup group, io.netty.channel.Channel listener) {
        this.group = group;
        this.listener = listener;
    }

    /** Binds the listener (plain HTTP); returns once it accepts connections. */
    public static HttpApiServer start(String memberId, Options options, Channel grpc) throws IOException {
        return start(memberId, options, grpc, null);
    }

    /**
     * Binds the listener; returns once it accepts connections.
     *
     * @param tls HTTPS with this context (the member's public certificate, reloaded with it), or null
     *            for plain HTTP
     */
    public static HttpApiServer start(String memberId, Options options, Channel grpc, SslContext tls) throws IOException {
        ConsoleAssets console = ConsoleAssets.load();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.threads(),
                new DefaultThreadFactory("muster-" + memberId + "-http", true), NioIoHandler.newFactory());
        try {
            io.netty.channel.Channel ch = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            if (tls != null) {
                                c.pipeline().addLast("tls", tls.newHandler(c.alloc()));
                            }
                            c.pipeline()
                                    .addLast(new HttpServerCodec(4096, 8192, 8192))
                                    .addLast(new HttpServerKeepAliveHandler())
                                    // answers 413 to a body over the limit (and closes the connection)
                                    .addLast(new HttpObjectAggregator(options.maxBodyBytes()))
                                    .addLast(new HttpApiHandler(memberId, grpc, options, console));
                        }
                    })
                    .bind(new InetSocketAddress(options.host(), options.port()))
                    .syncUninterruptibly()
                    .channel();
            return new HttpApiServer(group, ch);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("http-port: cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
