package io.muster.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;

/**
 * Where an {@link Exchange} gets the channel it sends one request on: an HTTP/1.1 connection
 * ({@link ConnectionPool}) or an HTTP/2 stream ({@link Http2ConnectionPool}); either way the channel
 * carries {@code HttpObject}s and ends in a {@link BackendHandler}.
 *
 * <p>Threading: {@link #pollIdle}, {@link #acquire} and {@link #release} are called on the event loop
 * they name (or the channel's); {@link #close} from any thread.
 */
interface UpstreamPool {

  /** An idle channel of {@code loop} ready to use, or null. */
  Channel pollIdle(EventLoop loop);

  /** A channel of {@code loop}: connected (and TLS-handshaken) or failed. */
  Future<Channel> acquire(EventLoop loop, Duration connectTimeout);

  /** Gives back a channel whose exchange completed cleanly. */
  void release(Channel ch);

  /** Open connections to the endpoint. */
  int openConnections();

  void close();
}
