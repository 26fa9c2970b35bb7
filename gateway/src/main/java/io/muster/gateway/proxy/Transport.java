package io.muster.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loops and channel types: native epoll when the optional epoll jar is present and works,
 * NIO otherwise. One group serves accepts, client connections and backend connections: a backend
 * connection is opened on the event loop of the client connection it serves, so an exchange runs on a
 * single thread.
 */
public final class Transport implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  private final EventLoopGroup group;
  private final Class<? extends ServerChannel> serverChannelType;
  private final Class<? extends Channel> channelType;

  private Transport(EventLoopGroup group, Class<? extends ServerChannel> serverChannelType,
      Class<? extends Channel> channelType) {
    this.group = group;
    this.serverChannelType = serverChannelType;
    this.channelType = channelType;
  }

  /**
   * @param threads event loop threads, 0 for Netty's default (2 x cores)
   * @param threadNamePrefix e.g. {@code muster-gw-io}
   * @param preferNative try epoll first
   */
  public static Transport create(int threads, String threadNamePrefix, boolean preferNative) {
    DefaultThreadFactory threadFactory = new DefaultThreadFactory(threadNamePrefix, true);
    if (preferNative && EpollProbe.available()) {
      Transport t = EpollProbe.create(threads, threadFactory);
      log.debug("transport: epoll, {} event loop thread(s)", threads);
      return t;
    }
    IoHandlerFactory nio = NioIoHandler.newFactory();
    return new Transport(new MultiThreadIoEventLoopGroup(threads, threadFactory, nio),
        NioServerSocketChannel.class, NioSocketChannel.class);
  }

  public EventLoopGroup group() {
    return group;
  }

  Class<? extends ServerChannel> serverChannelType() {
    return serverChannelType;
  }

  Class<? extends Channel> channelType() {
    return channelType;
  }

  /** Shuts the event loops down, waiting at most {@code timeout}. */
  public void shutdown(Duration timeout) {
    group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(timeout.toMillis() + 1000);
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(2));
  }

  /** Touches epoll classes only after checking they are on the class path (the jar is optional). */
  private static final class EpollProbe {

    static boolean available() {
      try {
        Class.forName("io.netty.channel.epoll.Epoll", false, Transport.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        return false;
      }
      return Native.available();
    }

    static Transport create(int threads, DefaultThreadFactory threadFactory) {
      return Native.create(threads, threadFactory);
    }

    private static final class Native {
      static boolean available() {
        return io.netty.channel.epoll.Epoll.isAvailable();
      }

      static Transport create(int threads, DefaultThreadFactory threadFactory) {
        return new Transport(
            new MultiThreadIoEventLoopGroup(threads, threadFactory, io.netty.channel.epoll.EpollIoHandler.newFactory()),
            io.netty.channel.epoll.EpollServerSocketChannel.class, io.netty.channel.epoll.EpollSocketChannel.class);
      }
    }
  }
}
