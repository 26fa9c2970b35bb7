package io.muster.server.health;

import io.muster.api.v1.HttpCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * HTTP checks: {@code GET scheme://host:port/path}; healthy on any 2xx, or on exactly the expected
 * status if one is set. Probes of one target share a pool of keep-alive HTTP/1.1 connections, so a
 * member probing thousands of instances behind a few servers keeps a handful of connections open
 * instead of opening one per probe. Everything runs on the health event loop; nothing blocks.
 *
 * <p>A kept-alive connection the server closed while it sat in the pool fails the next request
 * before any answer: that request is retried once on a new connection (GET is idempotent), so an
 * idle-timeout on the server never counts as a failed probe.
 */
final class HttpProber implements AutoCloseable {

    static final int MAX_IDLE_PER_TARGET = 32;
    private static final AttributeKey<Exchange> EXCHANGE = AttributeKey.valueOf("muster.health.http.exchange");

    private final EventLoopGroup group;
    private final Addresses addresses;
    private final Map<String, Pool> pools = new HashMap<>();
    private volatile SslContext ssl;

    HttpProber(EventLoopGroup group, Addresses addresses) {
        this.group = group;
        this.addresses = addresses;
    }

    Probe open(String host, int port, HttpCheck check, Duration timeout) {
        boolean https = "https".equals(check.getScheme());
        String key = (https ? "https://" : "http://") + Addresses.authority(host, port);
        Pool pool = acquire(key, host, port, https);
        String path = check.getPath().isEmpty() ? "/health" : check.getPath();
        int expected = check.getExpectedStatus();
        long timeoutMs = timeout.toMillis();
        return new Probe() {
            private boolean closed;

            @Override
            public CompletableFuture<ProbeResult> run() {
                Exchange x = new Exchange(pool, path, expected, timeoutMs);
                x.start();
                return x.result;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    release(key);
                }
            }
        };
    }

    private synchronized Pool acquire(String key, String host, int port, boolean https) {
        Pool p = pools.computeIfAbsent(key, k -> new Pool(host, port, https));
        p.refs++;
        return p;
    }

    private synchronized void release(String key) {
        Pool p = pools.get(key);
        if (p != null && --p.refs == 0) {
            pools.remove(key);
            p.close();
        }
    }

    synchronized int targets() {
        return pools.size();
    }

    private SslContext ssl() throws SSLException {
        SslContext s = ssl;
        if (s == null) {
            synchronized (this) {
                if (ssl == null) {
                    ssl = SslContextBuilder.forClient().build();
                }
                s = ssl;
            }
        }
        return s;
    }

    @Override
    public synchronized void close() {
        pools.values().forEach(Pool::close);
        pools.clear();
    }

    /** Idle keep-alive connections to one target. */
    private final class Pool {
        final String host;
        final int port;
        final boolean https;
        final String authority;
        final java.util.Deque<Channel> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();
        final Bootstrap bootstrap;
        int refs;
        volatile boolean closed;

        Pool(String host, int port, boolean https) {
            this.host = host;
            this.port = port;
            this.https = https;
            this.authority = Addresses.authority(host, port);
            this.bootstrap = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) throws SSLException {
                            if (https) {
                                SslHandler tls = ssl().newHandler(ch.alloc(), host, port);
                                SSLParameters params = tls.engine().getSSLParameters();
                                params.setEndpointIdentificationAlgorithm("HTTPS");
                                tls.engine().setSSLParameters(params);
                                ch.pipeline().addLast(tls);
                            }
                            ch.pipeline().addLast(new HttpClientCodec(), ResponseHandler.INSTANCE);
                        }
                    });
        }

        CompletableFuture<java.net.InetSocketAddress> resolve() {
            return addresses.resolve(host, port);
        }

        Channel pollIdle() {
            Channel ch;
            while ((ch = idle.pollFirst()) != null) {
                if (ch.isActive()) {
                    return ch;
                }
            }
            return null;
        }

        void offer(Channel ch) {
            if (closed || idle.size() >= MAX_IDLE_PER_TARGET) {
                ch.close();
                return;
            }
            idle.offerFirst(ch);
            if (closed) {
                // raced with close(): drain again
                close();
            }
        }

        void close() {
            closed = true;
            Channel ch;
            while ((ch = idle.pollFirst()) != null) {
                ch.close();
            }
        }
    }

    /** One probe: a GET on a pooled or new connection, bounded by the timeout. */
    private static final class Exchange {
        final CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        final Pool pool;
        final String path;
        final int expected;
        final long timeoutMs;
        final long deadline;
        volatile int status = -1;
        volatile boolean keepAlive;
        volatile boolean reused;
        volatile io.netty.util.concurrent.ScheduledFuture<?> timer;

        Exchange(Pool pool, String path, int expected, long timeoutMs) {
            this.pool = pool;
            this.path = path;
            this.expected = expected;
            this.timeoutMs = timeoutMs;
            this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        }

        void start() {
            Channel ch = pool.pollIdle();
            if (ch != null) {
                send(ch, true);
            } else {
                connect();
            }
        }

        private long remainingMs() {
            return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        }

        private void connect() {
            if (remainingMs() <= 0) {
                result.complete(timedOut());
                return;
            }
            pool.resolve().whenComplete((address, err) -> {
                long left = remainingMs();
                if (err != null) {
                    result.complete(TcpProber.failure(err, timeoutMs));
                } else if (left <= 0) {
                    result.complete(timedOut());
                } else {
                    pool.bootstrap.clone()
                            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) left)
                            .connect(address).addListener((ChannelFutureListener) f -> {
                                if (f.isSuccess()) {
                                    send(f.channel(), false);
                                } else {
                                    result.complete(TcpProber.failure(f.cause(), timeoutMs));
                                }
                            });
                }
            });
        }

        private void send(Channel ch, boolean reused) {
            long left = remainingMs();
            if (left <= 0) {
                pool.offer(ch);
                result.complete(timedOut());
                return;
            }
            this.reused = reused;
            ch.attr(EXCHANGE).set(this);
            timer = ch.eventLoop().schedule(() -> {
                if (ch.attr(EXCHANGE).compareAndSet(this, null)) {
                    ch.close();
                    result.complete(timedOut());
                }
            }, left, TimeUnit.MILLISECONDS);
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
            req.headers().set(HttpHeaderNames.HOST, pool.authority)
                    .set(HttpHeaderNames.USER_AGENT, "muster-health-check")
                    .set(HttpHeaderNames.ACCEPT, "*/*")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ch.writeAndFlush(req).addListener(f -> {
                if (!f.isSuccess() && ch.attr(EXCHANGE).compareAndSet(this, null)) {
                    ch.close();
                    closed(f.cause());
                }
            });
        }

        /** The whole response arrived: the connection goes back to the pool if the server keeps it. */
        void finished(Channel ch) {
            cancelTimer();
            if (keepAlive) {
                pool.offer(ch);
            } else {
                ch.close();
            }
            int s = status;
            boolean ok = expected == 0 ? s >= 200 && s < 300 : s == expected;
            result.complete(ok ? ProbeResult.pass("HTTP " + s) : ProbeResult.fail("HTTP " + s));
        }

        /** The connection ended (or failed) before the whole response. */
        void closed(Throwable cause) {
            cancelTimer();
            if (reused && status < 0 && remainingMs() > 0) {
                // the server dropped an idle pooled connection: retry once on a new one
                reused = false;
                connect();
                return;
            }
            result.complete(cause == null ? ProbeResult.fail("connection closed before a complete response")
                    : ProbeResult.fail("HTTP request failed: " + Failures.describe(Failures.unwrap(cause))));
        }

        private void cancelTimer() {
            var t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }

        private ProbeResult timedOut() {
            return ProbeResult.fail("timeout after " + timeoutMs + "ms");
        }
    }

    /** Reads responses for the exchange attached to the channel; one instance for every connection. */
    @ChannelHandler.Sharable
    private static final class ResponseHandler extends ChannelInboundHandlerAdapter {
        static final ResponseHandler INSTANCE = new ResponseHandler();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                Exchange x = ctx.channel().attr(EXCHANGE).get();
                if (x == null) {
                    ctx.close(); // nothing asked: a confused or hostile server
                    return;
                }
                if (msg instanceof HttpResponse r) {
                    if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                        return;
                    }
                    x.keepAlive = HttpUtil.isKeepAlive(r);
                    x.status = r.status().code();
                }
                if (msg instanceof LastHttpContent && x.status >= 0 && ctx.channel().attr(EXCHANGE).compareAndSet(x, null)) {
                    x.finished(ctx.channel());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange x = ctx.channel().attr(EXCHANGE).getAndSet(null);
            if (x != null) {
                x.closed(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange x = ctx.channel().attr(EXCHANGE).getAndSet(null);
            ctx.close();
            if (x != null) {
                x.closed(cause);
            }
        }
    }
}
