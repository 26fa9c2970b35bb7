package io.muster.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;

/**
 * The pipelines of client connections, per {@link Listener}:
 *
 * <ul>
 *   <li>plaintext, HTTP/1.1 only: codec, {@code 100-continue}, {@link FrontendHandler} (the hot path, as
 *       it always was);
 *   <li>plaintext with HTTP/2: the same, behind Netty's h2c detector: a connection that starts with the
 *       HTTP/2 preface (prior knowledge) or whose first request asks {@code Upgrade: h2c} becomes HTTP/2;
 *       after a first plain HTTP/1.1 request the detector leaves the pipeline;
 *   <li>TLS: {@link SniHandler} picks the certificate by SNI name, then ALPN picks {@code h2} or
 *       HTTP/1.1.
 * </ul>
 *
 * <p>On HTTP/2 every stream is a child channel with its own {@link FrontendHandler}, behind
 * {@code Http2StreamFrameToHttpObjectCodec}: a stream is an exchange like an HTTP/1.1 request, with the
 * same routing, balancing, retries and timeouts, and flow control comes for free: a stream channel
 * stops reading (so its window is not replenished) when the backend cannot take more, and is not
 * writable while the client's window is full.
 */
final class ClientPipelines {

  private static final int MAX_UPGRADE_REQUEST_BYTES = 64 * 1024;

  private final ProxyContext px;
  private final Listener listener;
  private final long idleNanos;

  ClientPipelines(ProxyContext px, Listener listener) {
    this.px = px;
    this.listener = listener;
    this.idleNanos = listener.idleTimeout().toNanos();
  }

  void init(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    if (listener.tls() != null) {
      p.addLast("sni", new SniHandler(listener.tls().mapping()));
      p.addLast("alpn", new Alpn());
    } else if (listener.http2()) {
      HttpServerCodec codec = new HttpServerCodec();
      HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec,
          protocol -> AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
              ? new Http2ServerUpgradeCodec(frameCodec(), new Http2MultiplexHandler(streams(false))) {
                  @Override
                  public void upgradeTo(ChannelHandlerContext ctx, FullHttpRequest request) {
                    removeHttp1Tail(ctx.pipeline());
                    super.upgradeTo(ctx, request);
                  }
                }
              : null,
          MAX_UPGRADE_REQUEST_BYTES);
      p.addLast("h2c", new CleartextHttp2ServerUpgradeHandler(codec, upgrade, new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel c) {
          removeHttp1Tail(c.pipeline());
          addHttp2(c.pipeline(), false);
        }
      }));
      p.addLast("h2c-done", new H2cDone(upgrade));
      addHttp1Tail(p, false);
    } else {
      p.addLast("codec", new HttpServerCodec());
      addHttp1Tail(p, false);
    }
  }

  private void addHttp1Tail(ChannelPipeline p, boolean secure) {
    p.addLast("continue", new HttpServerExpectContinueHandler());
    p.addLast("frontend", new FrontendHandler(px, idleNanos, secure));
  }

  /** The connection became HTTP/2 (h2c): the HTTP/1.1 handlers go, with their idle timer. */
  private static void removeHttp1Tail(ChannelPipeline p) {
    for (String name : new String[] {"h2c-done", "continue", "frontend"}) {
      if (p.get(name) != null) {
        p.remove(name);
      }
    }
  }

  private void addHttp2(ChannelPipeline p, boolean secure) {
    // closes a connection without streams after the idle timeout (with GOAWAY: the codec's close)
    p.addLast("idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
    p.addLast("h2", frameCodec());
    p.addLast("streams", new Http2MultiplexHandler(streams(secure)));
    p.addLast("h2-idle", Http2IdleCloser.INSTANCE);
  }

  /** The same limits on every way in (ALPN h2, h2c prior knowledge, h2c Upgrade): {@link Http2Limits}. */
  private Http2FrameCodec frameCodec() {
    Http2FrameCodec codec = listener.http2Limits().serverCodec().build();
    // counted by error code: ENHANCE_YOUR_CALM is a client that broke a limit (flood, rapid reset)
    codec.connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
        px.metrics().http2GoAwaySent(errorCode);
      }
    });
    return codec;
  }

  private ChannelHandler streams(boolean secure) {
    return new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(true));
        ch.pipeline().addLast("split", Http2MessageSplitter.INSTANCE);
        addHttp1Tail(ch.pipeline(), secure);
      }
    };
  }

  /** After the TLS handshake: HTTP/2 or HTTP/1.1 as the client and the certificate's ALPN agreed. */
  private final class Alpn extends ApplicationProtocolNegotiationHandler {
    Alpn() {
      super(ApplicationProtocolNames.HTTP_1_1);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (ApplicationProtocolNames.HTTP_2.equals(protocol) && listener.http2()) {
        addHttp2(ctx.pipeline(), true);
      } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
        ctx.pipeline().addLast("codec", new HttpServerCodec());
        addHttp1Tail(ctx.pipeline(), true);
      } else {
        throw new IllegalStateException("unexpected ALPN protocol: " + protocol);
      }
    }
  }

  /**
   * On a plaintext listener with h2c: once a first request went through as HTTP/1.1 the upgrade handler
   * goes (h2c upgrades happen on the first request), so later requests take the plain HTTP/1.1 path.
   */
  private static final class H2cDone extends ChannelInboundHandlerAdapter {
    private final HttpServerUpgradeHandler upgrade;

    H2cDone(HttpServerUpgradeHandler upgrade) {
      this.upgrade = upgrade;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        ChannelPipeline p = ctx.pipeline();
        if (p.context(upgrade) != null) {
          p.remove(upgrade);
        }
        p.remove(this);
      }
      if (msg instanceof FullHttpRequest r) {
        // a first request with an Upgrade other than h2c comes aggregated by the upgrade handler: split it
        // as an HTTP/1.1 codec would deliver it, or its body would be written upstream as a second head
        ctx.fireChannelRead(new DefaultHttpRequest(r.protocolVersion(), r.method(), r.uri(), r.headers()));
        ctx.fireChannelRead(new DefaultLastHttpContent(r.content(), r.trailingHeaders()));
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Closes an HTTP/2 connection idle for the listener's idle timeout, unless a stream is open. */
  @ChannelHandler.Sharable
  private static final class Http2IdleCloser extends ChannelInboundHandlerAdapter {
    static final Http2IdleCloser INSTANCE = new Http2IdleCloser();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        if (codec == null || codec.connection().numActiveStreams() == 0) {
          ctx.close();
        }
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
