package io.muster.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of a backend connection: forwards events to the {@link Exchange} that holds the
 * connection, and closes a pooled idle connection that receives anything or goes idle too long.
 * Runs on the connection's event loop, which is also the exchange's.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(BackendHandler.class);

  private final LongSupplier nanoClock;
  private final long idleTimeoutNanos;
  private ChannelHandlerContext ctx;
  private ConnectionTimer timer;
  private Exchange exchange;
  /** When the connection was last handed back to its pool. */
  private long idleSinceNanos;

  /** @param idleTimeoutNanos an idle pooled connection is closed after this long */
  BackendHandler(LongSupplier nanoClock, long idleTimeoutNanos) {
    this.nanoClock = nanoClock;
    this.idleTimeoutNanos = idleTimeoutNanos;
  }

  static BackendHandler of(Channel ch) {
    return (BackendHandler) ch.pipeline().get("backend");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.timer = new ConnectionTimer(ctx.executor(), nanoClock, this::onTimer);
    this.idleSinceNanos = nanoClock.getAsLong();
    timer.armBy(idleSinceNanos + idleTimeoutNanos);
  }

  /** Taken out when the connection becomes a {@link Tunnel}: its pooled-idle check goes with it. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    exchange = null;
    timer.close();
  }

  void bind(Exchange e) {
    this.exchange = e;
  }

  void unbind() {
    this.exchange = null;
    this.idleSinceNanos = nanoClock.getAsLong();
    timer.armBy(idleSinceNanos + idleTimeoutNanos);
  }

  private void onTimer() {
    if (exchange != null) {
      return; // in use: the exchange's own deadlines apply; unbind arms the idle check again
    }
    long idleUntil = idleSinceNanos + idleTimeoutNanos;
    if (nanoClock.getAsLong() - idleUntil >= 0) {
      log.debug("pooled backend connection {} idle, closing", ctx.channel());
      ctx.close();
    } else {
      timer.armBy(idleUntil);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Exchange e = exchange;
    if (e == null) {
      // an idle pooled connection must not talk: whatever it sends cannot be framed, drop it
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpResponse response) {
      e.onBackendHead(response);
    }
    if (msg instanceof HttpContent content) {
      if (exchange == e) {
        e.onBackendContent(content);
      } else {
        content.release();
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Exchange e = exchange;
    if (e != null) {
      e.flushToClient();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange e = exchange;
    if (e != null) {
      e.onBackendWritabilityChanged();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    timer.close();
    Exchange e = exchange;
    if (e != null) {
      e.onBackendFailure(null);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Exchange e = exchange;
    if (e != null) {
      e.onBackendFailure(cause);
    } else {
      log.debug("idle backend connection {} failed", ctx.channel(), cause);
    }
    ctx.close();
  }
}
