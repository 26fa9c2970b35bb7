package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.testing.Instances;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The h2load runs of issue 19 ejected their only backend: when clients left with streams in flight,
 * the epoll transport delivered an event still pending for a just-closed upstream socket to a new
 * upstream channel that had been given the same file descriptor, and Netty closed that channel before
 * its connect ran. The connect failed with {@code ClosedChannelException}, counted as the backend's
 * connect failure: five in a row ejected it and every later request got a 503.
 *
 * <p>Here the channel is closed the same way, by the gateway's side between its registration and its
 * connect (a task queued while the channel initializes runs before the bootstrap's connect task),
 * against a real HTTP backend: the pool replaces it once, and a second such close fails as a
 * {@link PoolUnavailableException} of kind {@code local}, which outlier detection does not count.
 */
@ClusterTest
class AConnectionClosedBeforeItConnectsIsReplacedNotBlamedOnTheBackendTest {

  private TestBackend backend;
  private Transport transport;
  private Endpoint endpoint;
  private final AtomicInteger closedBeforeConnect = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    backend = new TestBackend("b1");
    transport = Transport.create(1, "test-io", true);
    endpoint = Instances.pool("web", List.of(backend.instance("web"))).active().get(0);
  }

  @AfterEach
  void tearDown() {
    transport.close();
    backend.close();
  }

  /** A bootstrap whose first {@code closes} channels are closed after registration, before their connect. */
  private Bootstrap closingBootstrap(int closes, CompletableFuture<FullHttpResponse> response) {
    return new Bootstrap().group(transport.group()).channel(transport.channelType())
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (closedBeforeConnect.getAndIncrement() < closes) {
              ch.eventLoop().execute(ch::close);
            }
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                new SimpleChannelInboundHandler<FullHttpResponse>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                    response.complete(msg.retainedDuplicate());
                  }
                });
          }
        });
  }

  private Future<Channel> acquire(ConnectionPool pool) throws Exception {
    EventLoop loop = transport.group().next();
    return loop.submit(() -> pool.acquire(loop, Duration.ofSeconds(2))).get(5, TimeUnit.SECONDS)
        .await();
  }

  @Test
  void aChannelClosedBeforeItsConnectIsReplacedAndTheRequestIsAnswered() throws Exception {
    CompletableFuture<FullHttpResponse> response = new CompletableFuture<>();
    ConnectionPool pool = new ConnectionPool(endpoint, closingBootstrap(1, response), 8, 8);

    Future<Channel> acquired = acquire(pool);

    assertTrue(acquired.isSuccess(), () -> "acquire failed: " + acquired.cause());
    assertEquals(2, closedBeforeConnect.get(), "one channel closed before its connect, one replacement");
    Channel ch = acquired.getNow();
    DefaultFullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    get.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + backend.port());
    ch.writeAndFlush(get);
    FullHttpResponse r = response.get(5, TimeUnit.SECONDS);
    assertEquals(200, r.status().code());
    r.release();
    assertEquals(1, backend.requests());
    assertEquals(1, pool.openConnections(), "the closed channel is not counted as open");
    ch.close().await();
  }

  @Test
  void aReplacementClosedTooFailsAsALocalErrorThatDoesNotBlameTheEndpoint() throws Exception {
    ConnectionPool pool = new ConnectionPool(endpoint, closingBootstrap(2, new CompletableFuture<>()), 8, 8);

    Future<Channel> acquired = acquire(pool);

    assertFalse(acquired.isSuccess(), "both channels were closed before their connect");
    PoolUnavailableException e = assertInstanceOf(PoolUnavailableException.class, acquired.cause());
    assertEquals("local", e.kind());
    assertEquals(0, backend.requests());
    assertEquals(0, pool.openConnections());
  }

  @Test
  void aRefusedConnectIsStillTheEndpointsFailure() throws Exception {
    backend.close();
    ConnectionPool pool = new ConnectionPool(endpoint, closingBootstrap(0, new CompletableFuture<>()), 8, 8);

    Future<Channel> acquired = acquire(pool);

    assertFalse(acquired.isSuccess());
    assertFalse(acquired.cause() instanceof PoolUnavailableException, () -> "refused is the endpoint's: " + acquired.cause());
    assertEquals(1, closedBeforeConnect.get());
  }
}
