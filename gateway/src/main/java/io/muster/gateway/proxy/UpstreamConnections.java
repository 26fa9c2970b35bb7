package io.muster.gateway.proxy;

import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.route.Route;
import io.muster.gateway.route.UpstreamTls;
import io.muster.gateway.tls.ClientTlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream pools, per endpoint: plaintext HTTP/1.1 {@link ConnectionPool}s (the common case, one
 * map lookup), and for routes that ask for HTTP/2 or TLS a pool per endpoint and
 * {@link Profile} (two routes to one service with different TLS settings never share a connection).
 * Pools are created on first use and closed when the service pool closes the endpoint (after its
 * drain).
 */
public final class UpstreamConnections {

  /** How a route talks to its backends, apart from plaintext HTTP/1.1. Equal profiles share pools. */
  record Profile(boolean http2, UpstreamTls tls) {}

  private final ConcurrentHashMap<Endpoint, ConnectionPool> pools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Endpoint, Map<Profile, UpstreamPool>> otherPools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Profile, SslContext> sslContexts = new ConcurrentHashMap<>();
  private final Bootstrap bootstrap;
  private final Bootstrap rawBootstrap;
  private final long idleNanos;
  private final int maxConnectionsPerEndpoint;
  private final int maxIdlePerLoop;

  /**
   * @param pooledIdleTimeout an idle pooled connection is closed after this long
   */
  public UpstreamConnections(Transport transport, int maxConnectionsPerEndpoint, int maxIdlePerLoop,
      Duration pooledIdleTimeout) {
    this.maxConnectionsPerEndpoint = maxConnectionsPerEndpoint;
    this.maxIdlePerLoop = maxIdlePerLoop;
    this.idleNanos = pooledIdleTimeout.toNanos();
    this.rawBootstrap = new Bootstrap()
        .group(transport.group())
        .channel(transport.channelType())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true);
    this.bootstrap = rawBootstrap.clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast("codec", new HttpClientCodec());
        ch.pipeline().addLast("backend", new BackendHandler(System::nanoTime, idleNanos));
      }
    });
  }

  /**
   * Builds the TLS context of {@code route} now, so that a bad file fails the start.
   *
   * @throws IllegalArgumentException naming the key whose file cannot be used
   */
  public void prepare(Route route) {
    Profile p = profile(route, false);
    if (p != null && p.tls() != null) {
      sslContext(p);
    }
  }

  private static Profile profile(Route route, boolean grpc) {
    boolean http2 = route.upstreamHttp2() || grpc;
    if (!http2 && route.upstreamTls() == null) {
      return null;
    }
    return new Profile(http2, route.upstreamTls());
  }

  private SslContext sslContext(Profile p) {
    return sslContexts.computeIfAbsent(p, k -> ClientTlsContexts.create(k.tls(), k.http2()));
  }

  /** The plaintext HTTP/1.1 pool of {@code endpoint}, or {@code null} if the endpoint is already closed. */
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

  /**
   * The pool for {@code route}'s way of talking to {@code endpoint}, or {@code null} if the endpoint is
   * already closed.
   *
   * @param grpc the request is gRPC (HTTP/2 even when the route did not say so)
   */
  UpstreamPool get(Endpoint endpoint, Route route, boolean grpc) {
    Profile profile = profile(route, grpc);
    if (profile == null) {
      return get(endpoint);
    }
    if (endpoint.isClosed()) {
      return null;
    }
    Map<Profile, UpstreamPool> byProfile = otherPools.computeIfAbsent(endpoint, e -> new ConcurrentHashMap<>());
    UpstreamPool pool = byProfile.computeIfAbsent(profile, p -> newPool(endpoint, p));
    if (endpoint.isClosed()) {
      endpointClosed(endpoint);
      return null;
    }
    return pool;
  }

  private UpstreamPool newPool(Endpoint endpoint, Profile p) {
    SslContext ssl = p.tls() == null ? null : sslContext(p);
    String sni = p.tls() != null && p.tls().serverName() != null ? p.tls().serverName()
        : endpoint.address().getHostString();
    int port = endpoint.address().getPort();
    if (!p.http2()) {
      Bootstrap b = rawBootstrap.clone().handler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast("ssl", sslHandler(ssl, ch, sni, port));
          ch.pipeline().addLast("codec", new HttpClientCodec());
          ch.pipeline().addLast("backend", new BackendHandler(System::nanoTime, idleNanos));
        }
      });
      return new ConnectionPool(endpoint, b, maxConnectionsPerEndpoint, maxIdlePerLoop);
    }
    Bootstrap b = rawBootstrap.clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        if (ssl != null) {
          ch.pipeline().addLast("ssl", sslHandler(ssl, ch, sni, port));
        }
        ch.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient()
            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
            .validateHeaders(false) // the client side already validated what is forwarded
            .build());
        ch.pipeline().addLast("streams", new Http2MultiplexHandler(RefusePushes.INSTANCE));
      }
    });
    ChannelHandler streams = new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(false, false));
        ch.pipeline().addLast("split", Http2MessageSplitter.INSTANCE);
        ch.pipeline().addLast("backend", new BackendHandler(System::nanoTime, idleNanos));
      }
    };
    return new Http2ConnectionPool(endpoint, b, streams, maxConnectionsPerEndpoint);
  }

  private static SslHandler sslHandler(SslContext ssl, Channel ch, String sni, int port) {
    return ssl.newHandler(ch.alloc(), sni, port);
  }

  /** Called when the service pool closes {@code endpoint}. */
  public void endpointClosed(Endpoint endpoint) {
    ConnectionPool pool = pools.remove(endpoint);
    if (pool != null) {
      pool.close();
    }
    Map<Profile, UpstreamPool> others = otherPools.remove(endpoint);
    if (others != null) {
      others.values().forEach(UpstreamPool::close);
    }
  }

  /** Open connections to {@code endpoint} (idle and in use, every profile). */
  public int openConnections(Endpoint endpoint) {
    ConnectionPool pool = pools.get(endpoint);
    int n = pool == null ? 0 : pool.openConnections();
    Map<Profile, UpstreamPool> others = otherPools.get(endpoint);
    if (others != null) {
      for (UpstreamPool p : others.values()) {
        n += p.openConnections();
      }
    }
    return n;
  }

  public void closeAll() {
    pools.keySet().forEach(this::endpointClosed);
    otherPools.keySet().forEach(this::endpointClosed);
  }

  /** Backends do not get to open streams towards the gateway (push is disabled in the settings too). */
  @ChannelHandler.Sharable
  private static final class RefusePushes extends ChannelInboundHandlerAdapter {
    static final RefusePushes INSTANCE = new RefusePushes();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }
}
