package io.muster.gateway.proxy;

import io.muster.gateway.pool.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP/2 to one endpoint: one connection per event loop, and a new stream on it for every exchange
 * (so every request, e.g. every gRPC call, is balanced on its own while the connections stay few).
 * A connection that received GOAWAY or closed is replaced on the next acquire; a stream the backend
 * refuses (its {@code MAX_CONCURRENT_STREAMS} reached) fails the acquire like a connect failure, so the
 * exchange goes to another endpoint.
 *
 * <p>Threading: each loop's connection is created and used on that loop; the map is concurrent only
 * for {@link #close} and {@link #openConnections} from other threads.
 */
final class Http2ConnectionPool implements UpstreamPool {

  private final Endpoint endpoint;
  private final Bootstrap bootstrap;
  private final ChannelHandler streamInitializer;
  private final int maxConnections;
  private final Map<EventLoop, Future<Channel>> connections = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param bootstrap connects and sets up a parent pipeline ending in {@code Http2MultiplexHandler}
   * @param streamInitializer sets up each stream: codec, splitter, {@code "backend"} handler
   */
  Http2ConnectionPool(Endpoint endpoint, Bootstrap bootstrap, ChannelHandler streamInitializer, int maxConnections) {
    this.endpoint = endpoint;
    this.bootstrap = bootstrap;
    this.streamInitializer = streamInitializer;
    this.maxConnections = maxConnections;
  }

  @Override
  public Channel pollIdle(EventLoop loop) {
    return null; // streams are not reused: a new one per exchange is the HTTP/2 way and costs no round trip
  }

  @Override
  public Future<Channel> acquire(EventLoop loop, Duration connectTimeout) {
    if (closed) {
      return loop.newFailedFuture(new PoolUnavailableException("endpoint " + endpoint + " is closed"));
    }
    Future<Channel> parent = connections.get(loop);
    if (parent == null || (parent.isDone() && !usable(parent))) {
      if (parent != null) {
        connections.remove(loop, parent);
      }
      if (open.get() >= maxConnections) {
        return loop.newFailedFuture(new PoolUnavailableException(
            "connection limit reached for " + endpoint.authority() + " (" + maxConnections + ")"));
      }
      parent = connect(loop, connectTimeout);
      connections.put(loop, parent);
    }
    Promise<Channel> stream = loop.newPromise();
    Future<Channel> p = parent;
    p.addListener(f -> {
      if (!f.isSuccess()) {
        connections.remove(loop, p);
        stream.tryFailure(f.cause());
        return;
      }
      new Http2StreamChannelBootstrap(p.getNow()).handler(streamInitializer).open().addListener(s -> {
        if (s.isSuccess()) {
          stream.trySuccess((Channel) s.getNow());
        } else {
          stream.tryFailure(s.cause());
        }
      });
    });
    return stream;
  }

  private static boolean usable(Future<Channel> parent) {
    if (!parent.isSuccess()) {
      return false;
    }
    Channel ch = parent.getNow();
    Http2FrameCodec codec = ch.pipeline().get(Http2FrameCodec.class);
    return ch.isActive() && codec != null && !codec.connection().goAwayReceived();
  }

  private Future<Channel> connect(EventLoop loop, Duration connectTimeout) {
    Promise<Channel> promise = loop.newPromise();
    ChannelFuture connect = bootstrap.clone(loop)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .connect(endpoint.address());
    Channel ch = connect.channel();
    open.incrementAndGet();
    ch.closeFuture().addListener(f -> {
      open.decrementAndGet();
      connections.remove(loop, promise);
    });
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        promise.tryFailure(PoolUnavailableException.isClosedBeforeConnect(f.cause())
            ? PoolUnavailableException.closedBeforeConnect(endpoint.authority(), f.cause()) : f.cause());
        return;
      }
      if (closed) {
        ch.close();
        promise.tryFailure(new PoolUnavailableException("endpoint " + endpoint + " closed while connecting"));
        return;
      }
      SslHandler ssl = ch.pipeline().get(SslHandler.class);
      if (ssl == null) {
        promise.trySuccess(ch);
        return;
      }
      ssl.handshakeFuture().addListener(h -> {
        if (h.isSuccess()) {
          promise.trySuccess(ch);
        } else {
          promise.tryFailure(h.cause());
          ch.close();
        }
      });
    });
    return promise;
  }

  @Override
  public void release(Channel stream) {
    stream.close(); // a no-op once both sides ended the stream; otherwise RST_STREAM
  }

  @Override
  public int openConnections() {
    return open.get();
  }

  @Override
  public void close() {
    closed = true;
    connections.forEach((loop, f) -> f.addListener(c -> {
      if (c.isSuccess()) {
        // GOAWAY; streams in progress finish (Http2ConnectionHandler's graceful close)
        ((Channel) c.getNow()).close();
      }
    }));
    connections.clear();
  }
}
