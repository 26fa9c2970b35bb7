package io.muster.gateway.proxy;

import io.muster.gateway.pool.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive connections to one endpoint, bounded: at most {@code maxConnections} open (an acquire
 * beyond fails at once rather than queueing) and at most {@code maxIdlePerLoop} idle per event loop.
 *
 * <p>Threading: idle connections are kept per event loop and each deque is touched only by its loop,
 * so {@link #acquire} (called on the client connection's loop) hands out a connection of that same
 * loop, and the exchange runs on one thread. {@link #close} may be called from any thread.
 */
final class ConnectionPool implements UpstreamPool {

  private final Endpoint endpoint;
  private final Bootstrap bootstrap;
  private final int maxConnections;
  private final int maxIdlePerLoop;
  private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean closed;

  ConnectionPool(Endpoint endpoint, Bootstrap bootstrap, int maxConnections, int maxIdlePerLoop) {
    this.endpoint = endpoint;
    this.bootstrap = bootstrap;
    this.maxConnections = maxConnections;
    this.maxIdlePerLoop = maxIdlePerLoop;
  }

  /**
   * An idle open connection of {@code loop}, or null (the common case of {@link #acquire} without a
   * future). Must be called on {@code loop}.
   */
  @Override
  public Channel pollIdle(EventLoop loop) {
    if (closed) {
      return null;
    }
    ArrayDeque<Channel> deque = idle.get(loop);
    if (deque != null) {
      Channel ch;
      while ((ch = deque.pollLast()) != null) {
        if (ch.isActive()) {
          return ch;
        }
        ch.close();
      }
    }
    return null;
  }

  /** An idle connection of {@code loop}, or a new one. Must be called on {@code loop}. */
  @Override
  public Future<Channel> acquire(EventLoop loop, Duration connectTimeout) {
    if (closed) {
      return loop.newFailedFuture(new PoolUnavailableException("endpoint " + endpoint + " is closed"));
    }
    Channel pooled = pollIdle(loop);
    if (pooled != null) {
      return loop.newSucceededFuture(pooled);
    }
    if (!reserve()) {
      return loop.newFailedFuture(new PoolUnavailableException(
          "connection limit reached for " + endpoint.authority() + " (" + maxConnections + ")"));
    }
    Promise<Channel> promise = loop.newPromise();
    connect(loop, connectTimeout, promise, true);
    return promise;
  }

  /**
   * Opens a connection for {@code promise}. A channel closed on the gateway's side before its connect
   * reached the network ({@link PoolUnavailableException#isClosedBeforeConnect}) is replaced once with
   * a new one: nothing was sent and the endpoint was not asked, so the request should not fail for it.
   */
  private void connect(EventLoop loop, Duration connectTimeout, Promise<Channel> promise, boolean mayReplace) {
    ChannelFuture connect = bootstrap.clone(loop)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .connect(endpoint.address());
    Channel ch = connect.channel();
    ch.closeFuture().addListener(f -> {
      open.decrementAndGet();
      ArrayDeque<Channel> d = idle.get(ch.eventLoop());
      if (d != null) {
        d.remove(ch);
      }
    });
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        if (!PoolUnavailableException.isClosedBeforeConnect(f.cause())) {
          promise.tryFailure(f.cause());
        } else if (mayReplace && !closed && reserve()) {
          connect(loop, connectTimeout, promise, false);
        } else {
          promise.tryFailure(PoolUnavailableException.closedBeforeConnect(endpoint.authority(), f.cause()));
        }
      } else if (closed) {
        ch.close();
        promise.tryFailure(new PoolUnavailableException("endpoint " + endpoint + " closed while connecting"));
      } else {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
          promise.trySuccess(ch);
        } else {
          // a handshake failure is a connect failure: nothing was sent, the exchange may go elsewhere
          ssl.handshakeFuture().addListener(h -> {
            if (h.isSuccess()) {
              promise.trySuccess(ch);
            } else {
              promise.tryFailure(h.cause());
              ch.close();
            }
          });
        }
      }
    });
  }

  /** Counts a connection about to be opened, unless the limit is reached. */
  private boolean reserve() {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Returns a connection whose exchange completed cleanly. Must be called on its event loop. */
  @Override
  public void release(Channel ch) {
    if (closed || !ch.isActive()) {
      ch.close();
      return;
    }
    ArrayDeque<Channel> deque = idle.computeIfAbsent(ch.eventLoop(), l -> new ArrayDeque<>());
    if (deque.size() >= maxIdlePerLoop) {
      ch.close();
      return;
    }
    // idle connections keep reading so a close by the backend is noticed and the channel dropped
    ch.config().setAutoRead(true);
    deque.addLast(ch);
  }

  @Override
  public int openConnections() {
    return open.get();
  }

  /** Closes idle connections now; connections in use are closed when released. */
  @Override
  public void close() {
    closed = true;
    idle.forEach((loop, deque) -> loop.execute(() -> {
      Channel ch;
      while ((ch = deque.pollFirst()) != null) {
        ch.close();
      }
    }));
  }
}
