package io.muster.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * The request half of an {@link Exchange}: holds body chunks that arrive before a backend connection
 * is ready, then writes head and chunks to the backend as they come. Remembers whether body bytes
 * left the gateway, which decides whether a retry is still safe; for an idempotent request it keeps
 * what it wrote, up to the route's buffer limit, so a retry can send the body again (Envoy's
 * {@code per_request_buffer_limit_bytes}).
 */
final class ExchangeRequest {

  private static final Set<HttpMethod> IDEMPOTENT =
      Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

  private final HttpRequest head;
  private final boolean expectsBody;
  private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(4);
  /**
   * What was written upstream, kept (as retained duplicates) so a retry can send it again, while it fits
   * {@link #replayLimit}; null when nothing is kept (not idempotent, no limit, over the limit, or no
   * retry can come any more).
   */
  private ArrayDeque<HttpContent> replay;
  private final long replayLimit;
  private long replayBytes;
  private HttpRequest upstreamHead;
  private Channel backend;
  private boolean complete;
  private long completeNanos;
  private boolean bodyWritten;
  /** Body bytes received from the client (the access log's bytes in). */
  private long bodyBytes;
  /** The protocols of an {@code Upgrade} pass-through, or null. */
  private String upgrade;

  /**
   * @param replayLimit body bytes kept for a retry after they were sent (the route's
   *     {@code per-request-buffer-limit-bytes}); 0 keeps none
   */
  ExchangeRequest(HttpRequest head, int replayLimit) {
    this.head = head;
    long length = HttpUtil.getContentLength(head, -1L);
    this.expectsBody = HttpUtil.isTransferEncodingChunked(head) || length > 0;
    this.replayLimit = replayLimit;
    // a body announced larger than the limit is never kept: no copy is made only to be dropped later
    // (a request without body needs nothing kept: a retry sends its head and an empty end again)
    if (replayLimit > 0 && expectsBody && IDEMPOTENT.contains(head.method()) && length <= replayLimit) {
      replay = new ArrayDeque<>(4);
    }
  }

  HttpRequest head() {
    return head;
  }

  /** Forwards {@code Upgrade: protocols} (with {@code Connection: upgrade}) instead of stripping it. */
  void upgrade(String protocols) {
    upgrade = protocols;
  }

  /** Sends the head and everything received so far to a freshly acquired connection. */
  void attach(Channel ch, String uri, SocketAddress client, boolean secure, boolean grpc) {
    backend = ch;
    if (upstreamHead == null) {
      // rewrites head's headers in place: computed once, a retry sends the same head again
      upstreamHead = ProxyHeaders.toUpstream(head, uri, client, secure);
      if (grpc) {
        // gRPC servers expect it (it says the path carries trailers); removed as hop-by-hop above
        upstreamHead.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
      }
      if (upgrade != null) {
        Upgrades.restore(upstreamHead.headers(), upgrade);
      }
    }
    // void promises: no per-write future; a failed write reaches BackendHandler.exceptionCaught
    ch.write(upstreamHead, ch.voidPromise());
    boolean lastWritten = false;
    if (replay != null) {
      // a retry: what the earlier attempt sent goes again, then what arrived since
      for (HttpContent kept : replay) {
        lastWritten |= kept instanceof LastHttpContent;
        ch.write(kept.retainedDuplicate(), ch.voidPromise());
      }
    }
    HttpContent c;
    while ((c = pending.poll()) != null) {
      lastWritten |= c instanceof LastHttpContent;
      write(c);
    }
    if (complete && !lastWritten) {
      ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise()); // a retry of a request without body
    }
    ch.flush();
  }

  void detach() {
    backend = null;
  }

  void onContent(HttpContent c, long nowNanos) {
    bodyBytes += c.content().readableBytes();
    if (c instanceof LastHttpContent) {
      complete = true;
      completeNanos = nowNanos;
    }
    if (backend != null) {
      write(c);
    } else {
      pending.add(c);
    }
  }

  private void write(HttpContent c) {
    if (c.content().isReadable()) {
      bodyWritten = true;
    }
    if (replay != null) {
      replayBytes += c.content().readableBytes();
      if (replayBytes > replayLimit) {
        stopKeeping(); // over the limit: this request cannot be replayed any more
      } else {
        replay.add(c.retainedDuplicate());
      }
    }
    backend.write(c, backend.voidPromise());
  }

  /** No retry can come any more (an answer is being relayed): what was kept for one is released. */
  void stopKeeping() {
    if (replay != null) {
      HttpContent c;
      while ((c = replay.poll()) != null) {
        c.release();
      }
      replay = null;
    }
  }

  void flush() {
    if (backend != null) {
      backend.flush();
    }
  }

  /** Whether the client connection should read: body still expected and the backend can take more. */
  boolean wantsBody() {
    return !complete && backend != null && backend.isWritable();
  }

  /** The client sent the whole request. */
  boolean complete() {
    return complete;
  }

  long completeNanos() {
    return completeNanos;
  }

  /** The whole request was received, or it has no body to wait for (an early answer can keep the connection). */
  boolean completeOrBodiless() {
    return complete || !expectsBody;
  }

  /**
   * Whether the request may be sent again after a backend took it and broke: only an idempotent
   * method whose body bytes (if any) never left the gateway or were all kept for a replay.
   */
  boolean replayable() {
    return IDEMPOTENT.contains(head.method()) && (!bodyWritten || replay != null);
  }

  /** Nothing received is still waiting to be written. */
  boolean allWritten() {
    return pending.isEmpty();
  }

  long bodyBytes() {
    return bodyBytes;
  }

  void releasePending() {
    HttpContent c;
    while ((c = pending.poll()) != null) {
      c.release();
    }
    stopKeeping();
  }
}
