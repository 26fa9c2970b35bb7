package io.muster.gateway.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A bare HTTP/2 client over plaintext with prior knowledge (h2c), frame by frame: for what the JDK
 * client cannot show (trailers, a trailers-only answer, headers the client picks itself such as
 * {@code grpc-timeout}).
 */
public final class RawH2Client implements AutoCloseable {

  /** What came back on one stream. */
  public record Response(List<Http2Headers> headerFrames, byte[] body, boolean reset) {
    public Http2Headers head() {
      return headerFrames.get(0);
    }

    public Http2Headers last() {
      return headerFrames.get(headerFrames.size() - 1);
    }
  }

  private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel parent;

  public RawH2Client(int port) throws InterruptedException {
    parent = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
            ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
          }
        })
        .connect("127.0.0.1", port).sync().channel();
  }

  /** Sends {@code headers} (and {@code body} if not null, ending the stream) and collects the answer. */
  public CompletableFuture<Response> send(Http2Headers headers, byte[] body) throws InterruptedException {
    CompletableFuture<Response> result = new CompletableFuture<>();
    List<Http2Headers> frames = new ArrayList<>();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(parent).handler(
        new SimpleChannelInboundHandler<Http2StreamFrame>() {
          @Override
          protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame f) {
            boolean end = false;
            if (f instanceof Http2HeadersFrame h) {
              frames.add(h.headers());
              end = h.isEndStream();
            } else if (f instanceof Http2DataFrame d) {
              ByteBuf c = d.content();
              byte[] b = new byte[c.readableBytes()];
              c.readBytes(b);
              bytes.writeBytes(b);
              end = d.isEndStream();
            } else if (f instanceof Http2ResetFrame) {
              result.complete(new Response(frames, bytes.toByteArray(), true));
            }
            if (end) {
              result.complete(new Response(frames, bytes.toByteArray(), false));
            }
          }

          @Override
          public void channelInactive(ChannelHandlerContext ctx) {
            result.complete(new Response(frames, bytes.toByteArray(), true));
          }
        }).open().sync().getNow();
    stream.write(new DefaultHttp2HeadersFrame(headers, body == null));
    if (body != null) {
      stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
    }
    stream.flush();
    return result;
  }

  /** Request headers for {@code path} on this connection. */
  public static Http2Headers headers(String method, String path) {
    return new DefaultHttp2Headers().method(method).path(path).scheme("http").authority("127.0.0.1");
  }

  /** A gRPC message frame: uncompressed flag, length, bytes. */
  public static byte[] grpcFrame(byte[] message) {
    byte[] out = new byte[5 + message.length];
    out[1] = (byte) (message.length >>> 24);
    out[2] = (byte) (message.length >>> 16);
    out[3] = (byte) (message.length >>> 8);
    out[4] = (byte) message.length;
    System.arraycopy(message, 0, out, 5, message.length);
    return out;
  }

  @Override
  public void close() {
    parent.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
