package io.muster.gateway.proxy;

import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.route.Router;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of the gateway: accepts client connections (HTTP/1.1, HTTP/2, TLS; see
 * {@link ClientPipelines}) and runs a {@link FrontendHandler} on each connection or HTTP/2 stream.
 * {@link #drain} stops accepting, lets requests in progress finish and closes idle
 * keep-alive connections.
 */
public final class ProxyServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

  private final Transport transport;
  private final ProxyContext px;
  private final List<Channel> serverChannels = new ArrayList<>();
  private final Set<Channel> clients = ConcurrentHashMap.newKeySet();

  public ProxyServer(Transport transport, Router router, UpstreamConnections upstream, RetryBudget retryBudget,
      ProxyMetrics metrics, LongSupplier nanoClock) {
    this(transport, router, upstream, retryBudget, metrics, nanoClock, EdgePolicies.defaults());
  }

  public ProxyServer(Transport transport, Router router, UpstreamConnections upstream, RetryBudget retryBudget,
      ProxyMetrics metrics, LongSupplier nanoClock, EdgePolicies edge) {
    this(transport, router, upstream, retryBudget, metrics, nanoClock, PickerResources.threadLocalRandom(), edge);
  }

  /** @param random retry back-off jitter; thread-safe */
  public ProxyServer(Transport transport, Router router, UpstreamConnections upstream, RetryBudget retryBudget,
      ProxyMetrics metrics, LongSupplier nanoClock, RandomGenerator random, EdgePolicies edge) {
    this.transport = transport;
    this.px = new ProxyContext(router, upstream, retryBudget, metrics, nanoClock, random, new InFlight(), edge);
  }

  /**
   * Binds a plaintext HTTP/1.1 listener.
   *
   * @param clientIdleTimeout an idle keep-alive client connection is closed after this long
   * @return the bound address (the real port when {@code port} is 0)
   */
  public InetSocketAddress bind(String host, int port, Duration clientIdleTimeout) {
    return bind(Listener.http1(host, port, clientIdleTimeout));
  }

  /**
   * Binds a listener.
   *
   * @return the bound address (the real port when {@code port} is 0)
   */
  public synchronized InetSocketAddress bind(Listener listener) {
    ClientPipelines pipelines = new ClientPipelines(px, listener);
    ServerBootstrap b = new ServerBootstrap()
        .group(transport.group())
        .channel(transport.serverChannelType())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            clients.add(ch);
            ch.closeFuture().addListener(f -> clients.remove(ch));
            pipelines.init(ch);
          }
        });
    Channel server = b.bind(listener.host(), listener.port()).syncUninterruptibly().channel();
    serverChannels.add(server);
    InetSocketAddress bound = (InetSocketAddress) server.localAddress();
    log.info("gateway listening on {}{}", bound, listener.tls() != null ? " (TLS)" : "");
    return bound;
  }

  /** Requests in progress. */
  public int inFlight() {
    return px.inFlight().get();
  }

  /**
   * Stops accepting, closes idle client connections, and waits for requests in progress.
   *
   * @return true if every request finished within {@code timeout}
   */
  public boolean drain(Duration timeout) {
    px.inFlight().startDraining();
    List<Channel> servers;
    synchronized (this) {
      servers = new ArrayList<>(serverChannels);
    }
    servers.forEach(ch -> ch.close().awaitUninterruptibly());
    for (Channel ch : clients) {
      ch.eventLoop().execute(() -> {
        FrontendHandler h = ch.pipeline().get(FrontendHandler.class);
        if (h != null) {
          h.drain();
        } else if (ch.pipeline().get(Http2FrameCodec.class) != null) {
          ch.close(); // HTTP/2: GOAWAY, and the streams in progress finish (the codec's graceful close)
        }
      });
    }
    try {
      boolean drained = px.inFlight().awaitZero(timeout);
      if (!drained) {
        log.warn("drain: {} request(s) still in progress after {} ms, closing", inFlight(), timeout.toMillis());
      }
      return drained;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Closes every listener and client connection at once. */
  @Override
  public void close() {
    synchronized (this) {
      serverChannels.forEach(Channel::close);
    }
    for (Channel ch : clients) {
      ch.close();
    }
  }
}
