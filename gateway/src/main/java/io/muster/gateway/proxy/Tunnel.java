package io.muster.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and a backend connection after a {@code 101 Switching Protocols}: the HTTP
 * codecs leave both pipelines and bytes are relayed as they come, each way.
 *
 * <p>Backpressure: a side stops reading while the other cannot take more (its channel is not
 * writable) and reads again when it drains, so a slow reader never fills the gateway's memory.
 * Closing: when either side closes, what was relayed is flushed and the other side is closed; when no
 * byte moved either way for the route's WebSocket idle timeout, both are closed. The backend
 * connection never goes back to its pool (the protocol on it is no longer HTTP).
 *
 * <p>Threading: both connections are on the client connection's event loop (backend connections are
 * opened there), which runs every method here.
 */
final class Tunnel {

  private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

  private final Channel client;
  private final Channel backend;
  private final long idleNanos;
  private final LongSupplier nanoClock;
  private final ProxyMetrics metrics;
  private final ConnectionTimer timer;
  private long lastActivityNanos;
  private boolean closed;

  private Tunnel(Channel client, Channel backend, Duration idleTimeout, LongSupplier nanoClock, ProxyMetrics metrics) {
    this.client = client;
    this.backend = backend;
    this.idleNanos = idleTimeout.toNanos();
    this.nanoClock = nanoClock;
    this.metrics = metrics;
    this.timer = new ConnectionTimer(client.eventLoop(), nanoClock, this::onTimer);
  }

  /**
   * Turns both connections into a relay. Call on the event loop, after the {@code 101} was written to
   * the client and while the backend's codec is delivering it (its leftover bytes are relayed).
   */
  static void start(Channel client, Channel backend, Duration idleTimeout, LongSupplier nanoClock,
      ProxyMetrics metrics) {
    new Tunnel(client, backend, idleTimeout, nanoClock, metrics).begin();
  }

  private void begin() {
    metrics.tunnelOpened();
    lastActivityNanos = nanoClock.getAsLong();
    ChannelPipeline cp = client.pipeline();
    cp.addLast("tunnel", new End(backend));
    // the HTTP handlers go; the codec last, so bytes it still holds reach the relay
    removeIfPresent(cp, FrontendHandler.class);
    removeIfPresent(cp, HttpServerExpectContinueHandler.class);
    removeIfPresent(cp, HttpServerCodec.class);
    ChannelPipeline bp = backend.pipeline();
    bp.addLast("tunnel", new End(client));
    removeIfPresent(bp, BackendHandler.class);
    removeIfPresent(bp, HttpClientCodec.class);
    client.config().setAutoRead(true);
    backend.config().setAutoRead(true);
    client.closeFuture().addListener(f -> close(backend));
    backend.closeFuture().addListener(f -> close(client));
    timer.armBy(lastActivityNanos + idleNanos);
  }

  private static void removeIfPresent(ChannelPipeline p, Class<? extends ChannelHandler> type) {
    if (p.get(type) != null) {
      p.remove(type);
    }
  }

  private void onTimer() {
    if (closed) {
      return;
    }
    long idleUntil = lastActivityNanos + idleNanos;
    if (nanoClock.getAsLong() - idleUntil >= 0) {
      log.debug("tunnel {} <-> {}: idle for {} ms, closing", client, backend, idleNanos / 1_000_000);
      client.close();
      backend.close();
    } else {
      timer.armBy(idleUntil);
    }
  }

  /** One side closed: the other gets what was relayed to it, then closes. */
  private void close(Channel other) {
    if (!closed) {
      closed = true;
      timer.close();
      metrics.tunnelClosed();
    }
    if (other.isActive()) {
      other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** The relay handler of one side: what it reads goes to {@code peer}. */
  private final class End extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    End(Channel peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        ReferenceCountUtil.release(msg); // the codec's end-of-message marker of the 101
        return;
      }
      lastActivityNanos = nanoClock.getAsLong();
      // void promise: a failed write reaches the peer's exceptionCaught, which closes it
      peer.write(buf, peer.voidPromise());
      if (!peer.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        peer.config().setAutoRead(true);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("tunnel connection {} failed", ctx.channel(), cause);
      ctx.close();
    }
  }
}
