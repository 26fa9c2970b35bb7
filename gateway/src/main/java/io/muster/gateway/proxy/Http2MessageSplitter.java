package io.muster.gateway.proxy;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;

/**
 * Sits after {@code Http2StreamFrameToHttpObjectCodec} on an HTTP/2 stream (client side and backend
 * side) so that the exchange sees what an HTTP/1.1 codec would give it: a message whose HEADERS frame
 * ended the stream arrives as a {@code Full*} message, which is split into head and last content
 * (the exchange writes the head and the body separately, and a full message written as body would be
 * encoded as a second head); and the codec's {@code x-http2-*} bookkeeping headers are removed so they
 * never reach the other side.
 */
@Sharable
final class Http2MessageSplitter extends ChannelInboundHandlerAdapter {

  static final Http2MessageSplitter INSTANCE = new Http2MessageSplitter();

  private Http2MessageSplitter() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpMessage m) {
      HttpHeaders h = m.headers();
      h.remove(ExtensionHeaderNames.STREAM_ID.text());
      h.remove(ExtensionHeaderNames.SCHEME.text());
    }
    if (msg instanceof FullHttpRequest r) {
      ctx.fireChannelRead(new DefaultHttpRequest(r.protocolVersion(), r.method(), r.uri(), r.headers()));
      ctx.fireChannelRead(new DefaultLastHttpContent(r.content(), r.trailingHeaders()));
    } else if (msg instanceof FullHttpResponse r) {
      ctx.fireChannelRead(new DefaultHttpResponse(r.protocolVersion(), r.status(), r.headers()));
      ctx.fireChannelRead(new DefaultLastHttpContent(r.content(), r.trailingHeaders()));
    } else {
      ctx.fireChannelRead(msg);
    }
  }
}
