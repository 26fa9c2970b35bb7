package io.muster.gateway.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * An HTTP/2 client that writes frames as it is told, not as a well-behaved client would: PINGs,
 * SETTINGS and HEADERS followed by RST_STREAM by the thousand, more streams than the server allows.
 * It reads what the server sends (GOAWAY, RST_STREAM, answers) with Netty's frame reader, so a test can
 * check how the server answered the abuse. Three ways in, as a gateway listener accepts HTTP/2.
 */
public final class RawH2Connection implements AutoCloseable {

  /** How the connection becomes HTTP/2. */
  public enum Way {
    /** Plaintext, the connection preface first (h2c prior knowledge). */
    PRIOR_KNOWLEDGE,
    /** Plaintext, an HTTP/1.1 request with {@code Upgrade: h2c} first (its answer is stream 1). */
    UPGRADE,
    /** TLS with ALPN {@code h2}. */
    TLS
  }

  /** The GOAWAY the server sent. */
  public record GoAway(int lastStreamId, long errorCode, String debug) {}

  private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
  private final Channel channel;
  private volatile ChannelHandlerContext ctx;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  /** The first GOAWAY received. */
  public final CompletableFuture<GoAway> goAway = new CompletableFuture<>();
  /** Completes when the connection closed. */
  public final CompletableFuture<Void> closed = new CompletableFuture<>();
  /** Stream id to the error code of the RST_STREAM the server sent for it. */
  public final Map<Integer, Long> resets = new ConcurrentHashMap<>();
  /** Stream id to the {@code :status} of its answer. */
  public final Map<Integer, String> statuses = new ConcurrentHashMap<>();
  public final AtomicLong pingAcks = new AtomicLong();
  public final AtomicLong settingsAcks = new AtomicLong();
  private final AtomicInteger nextStreamId;

  public RawH2Connection(int port, Way way) throws Exception {
    SslContext ssl = way != Way.TLS ? null : SslContextBuilder.forClient()
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
        .build();
    nextStreamId = new AtomicInteger(way == Way.UPGRADE ? 3 : 1);
    channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        // a small receive buffer: a client that stops reading backs the server's answers up soon
        .option(io.netty.channel.ChannelOption.SO_RCVBUF, 8192)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "127.0.0.1", port));
            }
            ch.pipeline().addLast(new Reader(way == Way.UPGRADE));
          }
        })
        .connect("127.0.0.1", port).sync().channel();
    channel.closeFuture().addListener(f -> {
      closed.complete(null);
      ready.completeExceptionally(new IllegalStateException("closed before HTTP/2 started"));
    });
    if (way == Way.UPGRADE) {
      String settings = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[0]);
      onLoop(c -> c.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("GET /upgrade HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + settings + "\r\n\r\n",
          StandardCharsets.US_ASCII)));
    } else if (way == Way.PRIOR_KNOWLEDGE) {
      onLoop(this::preface);
    } // TLS: the preface follows the handshake
    ready.get(10, TimeUnit.SECONDS);
  }

  private void preface(ChannelHandlerContext c) {
    c.write(Http2CodecUtil.connectionPrefaceBuf());
    writer.writeSettings(c, new Http2Settings(), c.newPromise());
    c.flush();
  }

  private interface CtxAction {
    void run(ChannelHandlerContext c) throws Exception;
  }

  private void onLoop(CtxAction action) {
    channel.eventLoop().execute(() -> {
      try {
        action.run(ctx);
      } catch (Exception e) {
        channel.close();
      }
    });
  }

  /** Request headers for a GET of {@code path}. */
  public static Http2Headers get(String path) {
    return new DefaultHttp2Headers().method("GET").path(path).scheme("http").authority("127.0.0.1");
  }

  /** A new client stream id. */
  public int newStreamId() {
    return nextStreamId.getAndAdd(2);
  }

  /** Sends HEADERS (ending the stream) on {@code streamId}. */
  public void headers(int streamId, Http2Headers headers) {
    onLoop(c -> {
      writer.writeHeaders(c, streamId, headers, 0, true, c.newPromise());
      c.flush();
    });
  }

  /**
   * Writes {@code total} frames of what {@code frame} writes (given the frame's number), in batches of
   * {@code perBatch} with a flush each, while the connection is open and the server has not said GOAWAY.
   *
   * @return completes with the number of frames written when done or stopped
   */
  public CompletableFuture<Long> flood(long total, int perBatch, FrameWrite frame) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    AtomicLong written = new AtomicLong();
    Runnable batch = new Runnable() {
      @Override
      public void run() {
        if (!channel.isActive() || goAway.isDone() || written.get() >= total) {
          done.complete(written.get());
          return;
        }
        try {
          for (int i = 0; i < perBatch && written.get() < total; i++) {
            frame.write(ctx, writer, written.getAndIncrement());
          }
          ctx.flush();
        } catch (Exception e) {
          done.complete(written.get());
          return;
        }
        // let the loop read what the server sends between batches; wait while the socket is full
        if (channel.isWritable()) {
          channel.eventLoop().execute(this);
        } else {
          channel.eventLoop().schedule(this, 1, TimeUnit.MILLISECONDS);
        }
      }
    };
    channel.eventLoop().execute(batch);
    return done;
  }

  /** Writes one frame of a flood. */
  @FunctionalInterface
  public interface FrameWrite {
    void write(ChannelHandlerContext c, DefaultHttp2FrameWriter w, long n) throws Exception;
  }

  /** A PING (not an ack) per frame. */
  public static FrameWrite pings() {
    return (c, w, n) -> w.writePing(c, false, n, c.newPromise());
  }

  /** An empty SETTINGS frame (each one asks for an acknowledgement). */
  public static FrameWrite settings() {
    return (c, w, n) -> w.writeSettings(c, new Http2Settings(), c.newPromise());
  }

  /** HEADERS of a GET on a new stream, then RST_STREAM CANCEL of it at once (rapid reset, CVE-2023-44487). */
  public FrameWrite rapidResets(IntFunction<Http2Headers> headers) {
    return (c, w, n) -> {
      int id = newStreamId();
      w.writeHeaders(c, id, headers.apply(id), 0, true, c.newPromise());
      w.writeRstStream(c, id, Http2Error.CANCEL.code(), c.newPromise());
    };
  }

  /** Stops reading what the server sends (its acknowledgements pile up on its side). */
  public void stopReading() throws Exception {
    channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).get(5, TimeUnit.SECONDS);
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Reads the server's frames (after the HTTP/1.1 101 answer on the Upgrade way). */
  private final class Reader extends ByteToMessageDecoder {
    private final DefaultHttp2FrameReader frames = new DefaultHttp2FrameReader();
    private boolean http1;

    Reader(boolean upgrade) {
      this.http1 = upgrade;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext c) {
      ctx = c;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
      if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e) {
        if (e.isSuccess()) {
          preface(c);
        } else {
          c.close();
        }
      }
      super.userEventTriggered(c, evt);
    }

    @Override
    protected void decode(ChannelHandlerContext c, ByteBuf in, List<Object> out) throws Http2Exception {
      if (http1) {
        int end = -1;
        for (int i = in.readerIndex(); i + 3 < in.writerIndex(); i++) {
          if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r' && in.getByte(i + 3) == '\n') {
            end = i;
            break;
          }
        }
        if (end < 0) {
          return;
        }
        String head = in.readCharSequence(end + 4 - in.readerIndex(), StandardCharsets.US_ASCII).toString();
        if (!head.startsWith("HTTP/1.1 101")) {
          c.close();
          return;
        }
        http1 = false;
        preface(c);
      }
      frames.readFrame(c, in, new Http2FrameAdapter() {
        @Override
        public void onSettingsRead(ChannelHandlerContext x, Http2Settings settings) {
          writer.writeSettingsAck(x, x.newPromise());
          x.flush();
          ready.complete(null);
        }

        @Override
        public void onSettingsAckRead(ChannelHandlerContext x) {
          settingsAcks.incrementAndGet();
        }

        @Override
        public void onPingAckRead(ChannelHandlerContext x, long data) {
          pingAcks.incrementAndGet();
        }

        @Override
        public void onPingRead(ChannelHandlerContext x, long data) {
          writer.writePing(x, true, data, x.newPromise());
          x.flush();
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext x, int streamId, long errorCode) {
          resets.put(streamId, errorCode);
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext x, int streamId, Http2Headers headers, int padding,
            boolean endStream) {
          if (headers.status() != null) {
            statuses.put(streamId, headers.status().toString());
          }
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext x, int streamId, Http2Headers headers, int dependency,
            short weight, boolean exclusive, int padding, boolean endStream) {
          onHeadersRead(x, streamId, headers, padding, endStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext x, int streamId, ByteBuf data, int padding, boolean endOfStream) {
          int n = data.readableBytes() + padding;
          // keep the server's windows open: answers of the well-behaved streams must not stall
          if (n > 0) {
            writer.writeWindowUpdate(x, 0, n, x.newPromise());
            if (!endOfStream) {
              writer.writeWindowUpdate(x, streamId, n, x.newPromise());
            }
            x.flush();
          }
          return n;
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext x, int lastStreamId, long errorCode, ByteBuf debugData) {
          goAway.complete(new GoAway(lastStreamId, errorCode, debugData.toString(StandardCharsets.UTF_8)));
        }
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
      c.close();
    }
  }
}
