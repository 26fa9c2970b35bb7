package io.muster.gateway.testing;

import io.muster.api.v1.Instance;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real WebSocket server on 127.0.0.1 and an ephemeral port (Netty's
 * {@link WebSocketServerProtocolHandler} on {@code /ws}): every text message comes back as is, whole.
 */
public final class WebSocketEchoBackend implements AutoCloseable {

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final AtomicInteger handshakes = new AtomicInteger();

  public WebSocketEchoBackend() {
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new WebSocketServerProtocolHandler("/ws", null, false, 1 << 20),
                // the JDK client sends a long message in 16 KB fragments: echo whole messages
                new WebSocketFrameAggregator(1 << 20),
                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                  @Override
                  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                      handshakes.incrementAndGet();
                    }
                    ctx.fireUserEventTriggered(evt);
                  }

                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                    ctx.writeAndFlush(new TextWebSocketFrame(frame.text()));
                  }
                });
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Completed WebSocket handshakes. */
  public int handshakes() {
    return handshakes.get();
  }

  public Instance instance(String service) {
    return Instances.healthy(service, "ws", port());
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
