package io.muster.server.health.probe;

import io.muster.server.health.Failures;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * TCP checks: healthy if a connection can be established within the timeout. The connection is
 * closed at once with a reset (SO_LINGER 0), so thousands of probes per second leave no sockets in
 * TIME_WAIT.
 */
final class TcpProber {

    /** Nothing is read or written: the connect is the probe. */
    @ChannelHandler.Sharable
    private static final class NoOp extends ChannelInboundHandlerAdapter {
        static final NoOp INSTANCE = new NoOp();
    }

    private static final ProbeResult CONNECTED = ProbeResult.pass("connected");

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Addresses addresses;

    TcpProber(EventLoopGroup group, Addresses addresses) {
        this.group = group;
        this.addresses = addresses;
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.SO_LINGER, 0)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(NoOp.INSTANCE);
    }

    Probe open(String host, int port, Duration timeout) {
        int timeoutMs = (int) timeout.toMillis();
        EventLoop loop = group.next();
        Bootstrap connector = bootstrap.clone(loop).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMs);
        return new Probe() {
            @Override
            public CompletableFuture<ProbeResult> run() {
                return addresses.resolve(host, port).thenCompose(address -> {
                    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
                    ChannelFuture connect = connector.connect(address);
                    connect.addListener(f -> {
                        if (f.isSuccess()) {
                            connect.channel().close();
                            result.complete(CONNECTED);
                        } else {
                            result.complete(failure(f.cause(), timeoutMs));
                        }
                    });
                    return result;
                }).exceptionally(e -> failure(e, timeoutMs));
            }

            @Override
            public EventLoop eventLoop() {
                return loop;
            }
        };
    }

    static ProbeResult failure(Throwable error, long timeoutMs) {
        Throwable t = Failures.unwrap(error);
        if (t instanceof ConnectTimeoutException) {
            return ProbeResult.timeout(timeoutMs);
        }
        if (t instanceof ConnectException) {
            return ProbeResult.fail("connect refused");
        }
        if (t instanceof UnknownHostException) {
            return ProbeResult.fail("unknown host: " + Failures.describe(t));
        }
        return ProbeResult.fail("connect failed: " + Failures.describe(t));
    }
}
