package io.muster.server.api;

import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The event loops of one member's gRPC servers (the public port and the peer listener). The member
 * owns them, instead of using gRPC's process-wide default, so that a handler can name the loop it
 * runs on ({@link #current()}) through public Netty API rather than Netty's internal
 * thread-to-loop map. Every handler runs on these loops ({@code directExecutor}).
 *
 * <p>What gRPC would choose by default: epoll where it is available, else NIO; Netty's default
 * number of loops (twice the cores, {@code -Dio.netty.eventLoopThreads}). The loops also accept the
 * connections. Threads are named and daemon; {@link #close} stops them once the servers are down.
 */
public final class ServerLoops implements AutoCloseable {

    private final EventLoopGroup group;
    private final EventExecutor[] loops;
    private final Class<? extends ServerChannel> channelType;

    public ServerLoops(String threadPrefix) {
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory(threadPrefix, true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        List<EventExecutor> all = new ArrayList<>();
        group.forEach(all::add);
        this.loops = all.toArray(EventExecutor[]::new);
    }

    /** Serves {@code builder}'s connections on these loops. */
    public NettyServerBuilder applyTo(NettyServerBuilder builder) {
        return builder.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(channelType);
    }

    /**
     * The loop the calling thread runs, or null on any other thread (a pool, another event loop
     * group, the in-process transport). Runs per call: a comparison of the current thread with each
     * loop's, no allocation.
     */
    public EventExecutor current() {
        for (EventExecutor loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return null;
    }

    /** Stops the loops without waiting (the servers on them are already shut down). */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
