package io.muster.gateway.proxy;

import io.muster.gateway.pool.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ConnectionPool} per endpoint, created on first use and closed when the service pool closes
 * the endpoint (after its drain).
 */
public final class UpstreamConnections {

  private final ConcurrentHashMap<Endpoint, ConnectionPool> pools = new ConcurrentHashMap<>();
  private final Bootstrap bootstrap;
  private final int maxConnectionsPerEndpoint;
  private final int maxIdlePerLoop;

  /**
   * @param pooledIdleTimeout an idle pooled connection is closed after this long
   */
  public UpstreamConnections(Transport transport, int maxConnectionsPerEndpoint, int maxIdlePerLoop,
      Duration pooledIdleTimeout) {
    this.maxConnectionsPerEndpoint = maxConnectionsPerEndpoint;
    this.maxIdlePerLoop = maxIdlePerLoop;
    long idleNanos = pooledIdleTimeout.toNanos();
    this.bootstrap = new Bootstrap()
        .group(transport.group())
        .channel(transport.channelType())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast("codec", new HttpClientCodec());
            ch.pipeline().addLast("backend", new BackendHandler(System::nanoTime, idleNanos));
          }
        });
  }

  /** The pool of {@code endpoint}, or {@code null} if the endpoint is already closed. */
  ConnectionPool get(Endpoint endpoint) {
    if (endpoint.isClosed()) {
      return null;
    }
    ConnectionPool pool = pools.computeIfAbsent(endpoint,
        e -> new ConnectionPool(e, bootstrap, maxConnectionsPerEndpoint, maxIdlePerLoop));
    // the endpoint may have closed between the check and the insert: then nobody else will close it
    if (endpoint.isClosed()) {
      if (pools.remove(endpoint, pool)) {
        pool.close();
      }
      return null;
    }
    return pool;
  }

  /** Called when the service pool closes {@code endpoint}. */
  public void endpointClosed(Endpoint endpoint) {
    ConnectionPool pool = pools.remove(endpoint);
    if (pool != null) {
      pool.close();
    }
  }

  /** Open connections to {@code endpoint} (idle and in use). */
  public int openConnections(Endpoint endpoint) {
    ConnectionPool pool = pools.get(endpoint);
    return pool == null ? 0 : pool.openConnections();
  }

  public void closeAll() {
    pools.keySet().forEach(this::endpointClosed);
  }
}
