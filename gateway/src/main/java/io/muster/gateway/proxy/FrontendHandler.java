package io.muster.gateway.proxy;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: runs its requests one at a time as {@link Exchange}s.
 *
 * <p>Flow control is done with {@code autoRead}: the connection reads while there is no exchange or
 * while the exchange wants request body and its backend connection can take more; otherwise it stops,
 * so a fast client cannot fill memory. Messages that the codec already decoded from a read while the
 * exchange was busy (pipelined requests) wait in a small bounded queue.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
  /** Decoded messages held while busy; one socket read cannot produce more than this in practice. */
  private static final int MAX_QUEUED = 512;

  private final ProxyContext px;
  private final long idleTimeoutNanos;
  private final boolean secure;
  private final ArrayDeque<HttpObject> queued = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private ConnectionTimer timer;
  private Exchange current;
  private boolean closing;
  /** When the connection last received a request message or finished an exchange. */
  private long lastActivityNanos;

  /**
   * @param idleTimeoutNanos a connection without an exchange is closed after this long without a
   *     request (bytes that do not complete a request head do not count)
   * @param secure the client connection is TLS ({@code X-Forwarded-Proto: https})
   */
  FrontendHandler(ProxyContext px, long idleTimeoutNanos, boolean secure) {
    this.px = px;
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.secure = secure;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.timer = new ConnectionTimer(ctx.executor(), px.nanoClock(), this::onTimer);
    this.lastActivityNanos = px.nanoClock().getAsLong();
    timer.armBy(lastActivityNanos + idleTimeoutNanos);
  }

  /** Removed when the connection switches to HTTP/2 (h2c): its idle timer must not close it later. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    closing = true;
    timer.close();
    releaseQueued();
  }

  ConnectionTimer timer() {
    return timer;
  }

  /** The connection's one timer: the exchange's deadlines while one runs, the idle timeout otherwise. */
  private void onTimer() {
    Exchange e = current;
    if (e != null) {
      e.checkDeadlines();
    }
    if (current == null && !closing) {
      long idleUntil = lastActivityNanos + idleTimeoutNanos;
      if (px.nanoClock().getAsLong() - idleUntil >= 0) {
        log.debug("{}: idle for {} ms, closing", ctx.channel(), idleTimeoutNanos / 1_000_000);
        closing = true;
        ctx.close();
      } else {
        timer.armBy(idleUntil);
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject o) || closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    lastActivityNanos = px.nanoClock().getAsLong();
    if (!queued.isEmpty()) {
      enqueue(o);
    } else {
      dispatch(o);
    }
    updateAutoRead();
  }

  private void dispatch(HttpObject o) {
    if (current != null && !current.requestComplete()) {
      if (o instanceof HttpContent c) {
        current.onRequestContent(c);
      } else {
        ReferenceCountUtil.release(o);
      }
    } else if (current != null) {
      enqueue(o);
    } else if (o instanceof HttpRequest request) {
      startExchange(request);
    } else {
      // the rest of a body whose exchange already ended (early error answer): nothing to do with it
      ReferenceCountUtil.release(o);
    }
  }

  private void startExchange(HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      closing = true;
      ReferenceCountUtil.release(request);
      ctx.writeAndFlush(ErrorResponses.text(HttpVersion.HTTP_1_1, 400,
          "malformed request: " + request.decoderResult().cause().getMessage(), false))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    Exchange exchange = new Exchange(px, this, ctx.channel(), request, secure);
    current = exchange;
    exchange.start();
    if (request instanceof HttpContent c) {
      if (current == exchange) {
        exchange.onRequestContent(c);
      } else {
        c.release();
      }
    }
  }

  private void enqueue(HttpObject o) {
    if (queued.size() >= MAX_QUEUED) {
      log.debug("{}: too many pipelined messages, closing", ctx.channel());
      ReferenceCountUtil.release(o);
      closing = true;
      ctx.close();
      return;
    }
    queued.add(o);
  }

  /** The current exchange answered; {@code keepAlive} false means the connection is being closed. */
  void exchangeDone(boolean keepAlive) {
    current = null;
    lastActivityNanos = px.nanoClock().getAsLong();
    if (!keepAlive || closing) {
      closing = true;
      releaseQueued();
      return;
    }
    if (queued.isEmpty() && !px.inFlight().draining()) {
      timer.armBy(lastActivityNanos + idleTimeoutNanos);
      updateAutoRead();
      return;
    }
    // may run inside a read callback of this connection: continue with queued work afterwards
    ctx.channel().eventLoop().execute(this::resume);
  }

  private void resume() {
    if (closing || !ctx.channel().isActive()) {
      return;
    }
    if (current == null && queued.isEmpty() && px.inFlight().draining()) {
      closing = true;
      ctx.close();
      return;
    }
    while (!queued.isEmpty() && (current == null || !current.requestComplete())) {
      dispatch(queued.poll());
    }
    if (current != null) {
      current.flushToBackend();
    }
    updateAutoRead();
  }

  /**
   * Reads while idle and while the exchange's request body is wanted; stops when the backend cannot
   * take more body. After a complete request it keeps reading (no epoll change per request): what
   * comes is a pipelined request, which waits in {@link #queued}, and reading stops then.
   */
  void updateAutoRead() {
    boolean want = !closing && queued.isEmpty()
        && (current == null || (current.requestComplete() && !current.awaitingUpgrade()) || current.wantsRequestBody());
    if (ctx.channel().config().isAutoRead() != want) {
      ctx.channel().config().setAutoRead(want);
    }
  }

  /** Shutdown: close now if idle; otherwise the current exchange answers with Connection: close. */
  void drain() {
    if (current == null) {
      closing = true;
      releaseQueued();
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (current != null) {
      current.flushToBackend();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClientWritabilityChanged();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    timer.close();
    Exchange e = current;
    current = null;
    if (e != null) {
      e.onClientClosed();
    }
    releaseQueued();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client connection {} failed", ctx.channel(), cause);
    ctx.close();
  }

  private void releaseQueued() {
    HttpObject o;
    while ((o = queued.poll()) != null) {
      ReferenceCountUtil.release(o);
    }
  }
}
