package io.muster.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;

/**
 * The response half of an {@link Exchange}: holds the backend's response head until its first body
 * chunk (so a connection that dies right after the head can still be retried: nothing reached the
 * client yet), then relays head and chunks. Informational (1xx) responses are dropped: the frontend
 * answers {@code Expect: 100-continue} itself.
 */
final class ExchangeResponse {

  private final Exchange exchange;
  private final Channel client;
  private final HttpRequest request;
  /** The client is an HTTP/2 stream: a head and its end go out as one message (see onContent). */
  private final boolean http2Client;
  private HttpResponse heldHead;
  private boolean skippingInformational;
  private boolean headReceived;
  private boolean started;
  private boolean backendKeepAlive;
  private boolean clientKeepAlive;
  private int status;
  private long headLatencyNanos = -1;
  /** Body bytes relayed to the client (the access log's bytes out). */
  private long bodyBytes;

  ExchangeResponse(Exchange exchange, Channel client, HttpRequest request) {
    this.exchange = exchange;
    this.client = client;
    this.request = request;
    this.http2Client = client instanceof Http2StreamChannel;
  }

  void onHead(HttpResponse head, long latencyNanos) {
    int code = head.status().code();
    if (code >= 100 && code < 200) {
      skippingInformational = true;
      return;
    }
    heldHead = head;
    headReceived = true;
    status = code;
    headLatencyNanos = latencyNanos;
    backendKeepAlive = HttpUtil.isKeepAlive(head);
  }

  /** Relays one chunk. @return true when it was the last one */
  boolean onContent(HttpContent c) {
    if (skippingInformational) {
      // the empty last content that closes a 1xx head
      skippingInformational = !(c instanceof LastHttpContent);
      c.release();
      return false;
    }
    bodyBytes += c.content().readableBytes();
    if (heldHead != null && http2Client && c instanceof LastHttpContent last) {
      // one message, so the codec can end the stream on HEADERS when there is no body: a gRPC
      // "trailers-only" answer must stay one HEADERS frame or the client sees no status
      ProxyHeaders.ClientHead out = ProxyHeaders.toClient(heldHead, request, exchange.keepAliveWanted());
      heldHead = null;
      started = true;
      clientKeepAlive = out.keepAlive();
      HttpResponse h = out.response();
      client.writeAndFlush(new DefaultFullHttpResponse(h.protocolVersion(), h.status(), last.content(), h.headers(),
          last.trailingHeaders()), client.voidPromise());
      return true;
    }
    if (heldHead != null) {
      ProxyHeaders.ClientHead out = ProxyHeaders.toClient(heldHead, request, exchange.keepAliveWanted());
      clientKeepAlive = out.keepAlive();
      heldHead = null;
      started = true;
      // void promises: no per-write future; a failed write reaches FrontendHandler.exceptionCaught
      client.write(out.response(), client.voidPromise());
    }
    if (c instanceof LastHttpContent) {
      if (clientKeepAlive) {
        client.writeAndFlush(c, client.voidPromise());
      } else {
        client.writeAndFlush(c).addListener(ChannelFutureListener.CLOSE);
      }
      return true;
    }
    client.write(c, client.voidPromise());
    return false;
  }

  /** Forgets a held head after the backend broke, before a retry. */
  void reset() {
    heldHead = null;
    headReceived = false;
    skippingInformational = false;
    headLatencyNanos = -1;
  }

  /** Whether bytes of the response reached the client connection. */
  boolean started() {
    return started;
  }

  boolean headReceived() {
    return headReceived;
  }

  boolean backendKeepAlive() {
    return backendKeepAlive;
  }

  boolean clientKeepAlive() {
    return clientKeepAlive;
  }

  int status() {
    return status;
  }

  long bodyBytes() {
    return bodyBytes;
  }

  long headLatencyNanos() {
    return headLatencyNanos;
  }
}
