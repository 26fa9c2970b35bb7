package io.muster.server.health.probe;

import io.muster.api.v1.HttpCheck;
import io.muster.server.health.Failures;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLHandshakeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * HTTP checks: {@code METHOD scheme://host:port/path} with the check's headers; healthy on any 2xx,
 * or on one of the expected statuses if any are set, and, if the check names an expected body, only
 * when the body's first {@link #MAX_BODY_BYTES} contain it. HTTPS verifies the certificate chain
 * (against the member's trust store, or the check's CA) and that it names the instance's host,
 * unless the check says {@code tls_skip_verify}. Probes of one target share a pool of keep-alive HTTP/1.1 connections, so a
 * member probing thousands of instances behind a few servers keeps a handful of connections open
 * instead of opening one per probe.
 *
 * <p>Threading: each target's pool lives on one event loop ({@link Probe#eventLoop()}): its idle
 * connections, every exchange on them and every request timer are touched by that thread only, so
 * a probe started there costs no lock and no hand-off between threads. {@link Probe#run()} called
 * from another thread hops to the loop once. Nothing blocks.
 *
 * <p>Queues: a target's idle connections count towards {@link #MAX_CONNECTIONS_PER_TARGET}; its
 * probes waiting for a connection are at most the checks probing the target, since the owner never
 * starts a check's next probe before the last one finished (and each waits no longer than its
 * timeout). Deadlines are measured on the event loop's ticker, the clock of the loop's own timers
 * that enforce them.
 *
 * <p>A kept-alive connection the server closed while it sat in the pool fails the next request
 * before any answer: that request is retried once on a new connection (GET is idempotent), so an
 * idle-timeout on the server never counts as a failed probe. Only idempotent methods are retried.
 */
final class HttpProber implements AutoCloseable {

    /**
     * Connections open (or connecting) per target. A probe that finds none idle and the cap reached
     * waits for one, within its timeout, instead of opening more: with a slow server, opening a
     * connection per probe and closing the surplus after each answer made connects the slow path
     * and turned a busy server into a storm of false timeouts.
     */
    static final int MAX_CONNECTIONS_PER_TARGET = 32;
    /** Results of the statuses seen, so a steady probe allocates no reason string. */
    private static final ProbeResult[] PASS = new ProbeResult[600];
    private static final ProbeResult[] FAIL = new ProbeResult[600];
    /** How much of a body is searched for an expected text (Consul reads 4 KiB; a health page may be larger). */
    static final int MAX_BODY_BYTES = 64 * 1024;

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
        SslContext tls;
        try {
            tls = https ? ssl(check.getTlsCaPem(), check.getTlsSkipVerify()) : null;
        } catch (SSLException | RuntimeException e) {
            // validated as PEM-looking text at registration; a certificate that does not parse fails every probe
            return failing("TLS: tls_ca_pem unusable: " + Failures.describe(e));
        }
        // connections are shared only by checks that verify the same way
        String key = (https ? "https://" : "http://") + Addresses.authority(host, port)
                + (https ? "|" + check.getTlsSkipVerify() + "|" + check.getTlsCaPem().hashCode() + "|" + check.getTlsCaPem().length() : "");
        Pool pool = acquire(key, host, port, tls, check.getTlsSkipVerify());
        String path = check.getPath().isEmpty() ? "/health" : check.getPath();
        Expectation expected = Expectation.of(check);
        HttpMethod method = HttpMethod.valueOf(check.getMethod().isEmpty() ? "GET" : check.getMethod());
        long timeoutMs = timeout.toMillis();
        // the same headers for every request of this check; only read by the encoder
        HttpHeaders headers = new DefaultHttpHeaders()
                .set(HttpHeaderNames.HOST, pool.authority)
                .set(HttpHeaderNames.USER_AGENT, "muster-health-check")
                .set(HttpHeaderNames.ACCEPT, "*/*");
        check.getHeadersMap().forEach(headers::set);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        if (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        return new Probe() {
            private boolean closed;

            @Override
            public CompletableFuture<ProbeResult> run() {
                Exchange x = new Exchange(pool, method, path, headers, expected, timeoutMs);
                if (pool.loop.inEventLoop()) {
                    x.start();
                } else {
                    pool.loop.execute(x::start);
                }
                return x.result;
            }

            @Override
            public EventLoop eventLoop() {
                return pool.loop;
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

    private static Probe failing(String reason) {
        ProbeResult failed = ProbeResult.fail(reason);
        return () -> CompletableFuture.completedFuture(failed);
    }

    private synchronized Pool acquire(String key, String host, int port, SslContext tls, boolean skipVerify) {
        Pool p = pools.computeIfAbsent(key, k -> new Pool(group.next(), host, port, tls, skipVerify));
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

    /** The member's trust store (shared), the check's CA, or no verification at all. */
    private SslContext ssl(String caPem, boolean skipVerify) throws SSLException {
        if (skipVerify) {
            return SslContextBuilder.forClient().trustManager(TrustEverything.INSTANCE).build();
        }
        if (!caPem.isEmpty()) {
            return SslContextBuilder.forClient()
                    .trustManager(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))).build();
        }
        return defaultSsl();
    }

    private SslContext defaultSsl() throws SSLException {
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

    static ProbeResult resultOf(int status, int expected) {
        return resultOf(status, Expectation.of(expected));
    }

    static ProbeResult resultOf(int status, Expectation expected) {
        boolean ok = expected.accepts(status);
        if (status < 100 || status >= 600) {
            return ok ? ProbeResult.pass("HTTP " + status) : ProbeResult.fail("HTTP " + status);
        }
        ProbeResult[] cache = ok ? PASS : FAIL;
        ProbeResult r = cache[status];
        if (r == null) {
            // racy but benign: a record's fields are final, so any thread sees a complete one
            r = ok ? ProbeResult.pass("HTTP " + status) : ProbeResult.fail("HTTP " + status);
            cache[status] = r;
        }
        return r;
    }

    /**
     * What makes an answer healthy: a status in {@code statuses} (any 2xx when empty) and, if
     * {@code body} is not empty, a body that contains it.
     */
    record Expectation(int[] statuses, String body) {
        static Expectation of(HttpCheck check) {
            int[] set = new int[check.getExpectedStatusesCount() + (check.getExpectedStatus() != 0 ? 1 : 0)];
            for (int i = 0; i < check.getExpectedStatusesCount(); i++) {
                set[i] = check.getExpectedStatuses(i);
            }
            if (check.getExpectedStatus() != 0) {
                set[set.length - 1] = check.getExpectedStatus();
            }
            return new Expectation(set, check.getExpectedBody());
        }

        static Expectation of(int expected) {
            return new Expectation(expected == 0 ? new int[0] : new int[] {expected}, "");
        }

        boolean accepts(int status) {
            if (statuses.length == 0) {
                return status >= 200 && status < 300;
            }
            for (int s : statuses) {
                if (s == status) {
                    return true;
                }
            }
            return false;
        }

        boolean wantsBody() {
            return !body.isEmpty();
        }
    }

    /** A TLS failure as a reason an operator can act on. */
    static String tlsReason(Throwable cause) {
        Throwable root = cause;
        boolean handshake = false;
        boolean untrusted = false;
        for (Throwable t = cause; t != null; t = t.getCause()) {
            handshake |= t instanceof SSLHandshakeException;
            untrusted |= t instanceof java.security.cert.CertPathBuilderException || t instanceof java.security.cert.CertPathValidatorException;
            root = t;
        }
        String detail = Failures.describe(root);
        if (untrusted) {
            return "TLS: certificate not trusted (no chain to a trusted CA; set tls_ca_pem, or tls_skip_verify): " + detail;
        }
        if (root instanceof java.security.cert.CertificateException) {
            return "TLS: certificate rejected: " + detail;
        }
        return handshake ? "TLS handshake failed: " + detail : null;
    }

    /** Idle keep-alive connections to one target, all on {@link #loop}. */
    private final class Pool {
        final EventLoop loop;
        final String host;
        final int port;
        final String authority;
        final Bootstrap bootstrap;
        // event loop only
        final ArrayDeque<Connection> idle = new ArrayDeque<>();
        final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
        int open; // connections open or connecting
        int refs; // guarded by HttpProber.this
        volatile boolean closed;

        Pool(EventLoop loop, String host, int port, SslContext tls, boolean skipVerify) {
            this.loop = loop;
            this.host = host;
            this.port = port;
            this.authority = Addresses.authority(host, port);
            this.bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) throws SSLException {
                            if (tls != null) {
                                SslHandler handler = tls.newHandler(ch.alloc(), host, port);
                                if (!skipVerify) {
                                    // the chain alone is not enough: the certificate must name the host
                                    SSLParameters params = handler.engine().getSSLParameters();
                                    params.setEndpointIdentificationAlgorithm("HTTPS");
                                    handler.engine().setSSLParameters(params);
                                }
                                ch.pipeline().addLast(handler);
                            }
                            ch.pipeline().addLast(new HttpClientCodec(), new Connection());
                        }
                    });
        }

        CompletableFuture<InetSocketAddress> resolve() {
            return addresses.resolve(host, port);
        }

        Connection pollIdle() {
            Connection c;
            while ((c = idle.pollFirst()) != null) {
                if (c.channel.isActive()) {
                    return c;
                }
            }
            return null;
        }

        /** A connection is free again: the longest-waiting probe takes it, else it goes idle. */
        void offer(Connection c) {
            if (closed) {
                c.channel.close();
                return;
            }
            Exchange next = nextWaiting();
            if (next != null) {
                next.handOver(c);
                return;
            }
            idle.offerFirst(c); // bounded: idle connections count towards the cap
        }

        /** Takes a place under the cap for a new connection; false when the cap is reached (the probe waits). */
        boolean reserveConnection() {
            if (open < MAX_CONNECTIONS_PER_TARGET) {
                open++;
                return true;
            }
            return false;
        }

        /** A connection closed, or a connect failed: a waiting probe may open one. */
        void connectionGone() {
            open--;
            if (closed) {
                return; // close() abandons the waiting exchanges
            }
            Exchange next = nextWaiting();
            if (next != null) {
                next.waitTimer.cancel(false);
                next.start();
            }
        }

        /**
         * The longest-waiting exchange that still has time left; those past their deadline are
         * completed as timed out here, in a loop. (Handing a connection down a queue of expired
         * exchanges one call deeper each used to recurse once per exchange: after a stall with
         * thousands waiting, a StackOverflowError.)
         */
        Exchange nextWaiting() {
            Exchange next;
            while ((next = waiting.pollFirst()) != null) {
                if (next.remainingMs() > 0) {
                    return next;
                }
                next.waitTimer.cancel(false);
                next.result.complete(next.timedOut());
            }
            return null;
        }

        void close() {
            closed = true;
            loop.execute(() -> {
                Connection c;
                while ((c = idle.pollFirst()) != null) {
                    c.channel.close();
                }
                Exchange x;
                while ((x = waiting.pollFirst()) != null) {
                    x.abandon("HTTP prober closed");
                }
            });
        }
    }

    /** One probe: a GET on a pooled or new connection, bounded by the timeout. Event loop only. */
    private static final class Exchange implements Runnable {
        final CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        final Pool pool;
        final HttpMethod method;
        final String path;
        final HttpHeaders headers;
        final Expectation expected;
        final long timeoutMs;
        final long deadline;
        int status = -1;
        boolean keepAlive;
        boolean reused;
        /** The body so far, up to {@link #MAX_BODY_BYTES}, if the check looks for a text in it. */
        java.io.ByteArrayOutputStream body;
        Connection connection;
        ScheduledFuture<?> timer;

        Exchange(Pool pool, HttpMethod method, String path, HttpHeaders headers, Expectation expected, long timeoutMs) {
            this.pool = pool;
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.expected = expected;
            this.timeoutMs = timeoutMs;
            this.deadline = pool.loop.ticker().nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        }

        ScheduledFuture<?> waitTimer;

        void start() {
            Connection c = pool.pollIdle();
            if (c != null) {
                send(c, true);
            } else if (pool.reserveConnection()) {
                connect();
            } else if (remainingMs() <= 0) {
                result.complete(timedOut());
            } else {
                pool.waiting.addLast(this);
                waitTimer = pool.loop.schedule(() -> {
                    if (pool.waiting.remove(this)) {
                        result.complete(timedOut());
                    }
                }, remainingMs(), TimeUnit.MILLISECONDS);
            }
        }

        /** Took a free pooled connection after waiting for it. */
        void handOver(Connection c) {
            waitTimer.cancel(false);
            send(c, true);
        }

        void abandon(String why) {
            if (waitTimer != null) {
                waitTimer.cancel(false);
            }
            result.complete(ProbeResult.fail(why));
        }

        private long remainingMs() {
            return TimeUnit.NANOSECONDS.toMillis(deadline - pool.loop.ticker().nanoTime());
        }

        /** Opens a connection under a reservation made with {@link Pool#reserveConnection()}. */
        private void connect() {
            if (remainingMs() <= 0) {
                pool.connectionGone();
                result.complete(timedOut());
                return;
            }
            pool.resolve().whenCompleteAsync((address, err) -> {
                long left = remainingMs();
                if (err != null) {
                    pool.connectionGone();
                    result.complete(TcpProber.failure(err, timeoutMs));
                } else if (left <= 0) {
                    pool.connectionGone();
                    result.complete(timedOut());
                } else {
                    ChannelFuture cf = pool.bootstrap.clone()
                            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) left)
                            .connect(address);
                    // from here the channel's end gives the reservation back, however it ends
                    cf.channel().closeFuture().addListener(f -> pool.connectionGone());
                    cf.addListener((ChannelFutureListener) f -> {
                        Connection c = f.channel().pipeline().get(Connection.class);
                        if (f.isSuccess() && c != null) {
                            send(c, false);
                        } else if (f.isSuccess()) {
                            f.channel().close();
                            result.complete(ProbeResult.fail("connection closed before a complete response"));
                        } else {
                            f.channel().close();
                            result.complete(TcpProber.failure(f.cause(), timeoutMs));
                        }
                    });
                }
            }, pool.loop);
        }

        private void send(Connection c, boolean reused) {
            long left = remainingMs();
            if (left <= 0) {
                pool.offer(c);
                result.complete(timedOut());
                return;
            }
            Channel ch = c.channel;
            this.reused = reused;
            this.connection = c;
            c.exchange = this;
            timer = pool.loop.schedule(this, left, TimeUnit.MILLISECONDS);
            ch.writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, Unpooled.EMPTY_BUFFER,
                    headers, EmptyHttpHeaders.INSTANCE)).addListener(f -> {
                        if (!f.isSuccess() && c.exchange == this) {
                            c.exchange = null;
                            ch.close();
                            closed(f.cause());
                        }
                    });
        }

        /** The request timer: no complete answer in time. */
        @Override
        public void run() {
            Connection c = connection;
            if (c.exchange == this) {
                c.exchange = null;
                c.channel.close();
                result.complete(timedOut());
            }
        }

        /** The whole response arrived: the connection goes back to the pool if the server keeps it. */
        void finished(Connection c) {
            timer.cancel(false);
            if (keepAlive) {
                pool.offer(c);
            } else {
                c.channel.close();
            }
            ProbeResult r = resultOf(status, expected);
            if (r.ok() && expected.wantsBody()) {
                String text = body == null ? "" : body.toString(StandardCharsets.UTF_8);
                if (!text.contains(expected.body())) {
                    String want = expected.body().length() > 64 ? expected.body().substring(0, 64) + "..." : expected.body();
                    r = ProbeResult.fail("HTTP " + status + ", body does not contain '" + want + "'");
                }
            }
            result.complete(r);
        }

        void content(io.netty.buffer.ByteBuf data) {
            if (!expected.wantsBody() || status < 0) {
                return;
            }
            if (body == null) {
                body = new java.io.ByteArrayOutputStream();
            }
            int take = Math.min(data.readableBytes(), MAX_BODY_BYTES - body.size());
            if (take > 0) {
                byte[] chunk = new byte[take];
                data.getBytes(data.readerIndex(), chunk);
                body.write(chunk, 0, take);
            }
        }

        /** The connection ended (or failed) before the whole response. */
        void closed(Throwable cause) {
            timer.cancel(false);
            if (reused && status < 0 && remainingMs() > 0 && idempotent(method)) {
                // the server dropped an idle pooled connection: retry once on a new one (its own
                // connection's close gives back its place under the cap)
                reused = false;
                start();
                return;
            }
            String tls = cause == null ? null : tlsReason(cause);
            result.complete(cause == null ? ProbeResult.fail("connection closed before a complete response")
                    : tls != null ? ProbeResult.fail(tls)
                    : ProbeResult.fail("HTTP request failed: " + Failures.describe(Failures.unwrap(cause))));
        }

        private static boolean idempotent(HttpMethod m) {
            return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT || m == HttpMethod.DELETE;
        }

        private ProbeResult timedOut() {
            return ProbeResult.timeout(timeoutMs);
        }
    }

    /** One connection's reader: routes responses to the exchange in progress on it. Event loop only. */
    private static final class Connection extends ChannelInboundHandlerAdapter {
        Channel channel;
        Exchange exchange;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                Exchange x = exchange;
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
                if (msg instanceof HttpContent content) {
                    x.content(content.content());
                }
                if (msg instanceof LastHttpContent && x.status >= 0) {
                    exchange = null;
                    x.finished(this);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
                // the handshake's own cause, before the close that follows reads as "connection closed"
                Exchange x = exchange;
                exchange = null;
                ctx.close();
                if (x != null) {
                    x.closed(hs.cause());
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            exchange = null;
            if (x != null) {
                x.closed(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange x = exchange;
            exchange = null;
            ctx.close();
            if (x != null) {
                x.closed(cause);
            }
        }
    }
}
