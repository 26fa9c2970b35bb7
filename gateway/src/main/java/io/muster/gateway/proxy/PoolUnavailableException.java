package io.muster.gateway.proxy;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;

/**
 * No connection could be had for reasons that say nothing about the endpoint's health: its connection
 * limit is reached, it was closed (drained) between the pick and the connect, or the gateway's own
 * channel was closed before the connect reached the network. Such failures are retried like connect
 * failures but do not count toward outlier ejection (as Envoy keeps pool overflow out of its outlier
 * statistics).
 */
final class PoolUnavailableException extends ConnectException {

  /** The {@code kind} of the upstream error metric. */
  private final String kind;

  PoolUnavailableException(String message) {
    super(message);
    this.kind = "pool_unavailable";
  }

  private PoolUnavailableException(String message, String kind, Throwable cause) {
    super(message);
    this.kind = kind;
    initCause(cause);
  }

  /**
   * A connect future that failed with {@link ClosedChannelException}: the channel was closed on the
   * gateway's side before the kernel answered the connect (a refused or timed-out connect fails with
   * its own exception). Seen under load with the epoll transport: an event still pending for a socket
   * that was just closed is delivered to a new socket that got the same file descriptor, and Netty
   * closes the new, not yet connected channel.
   */
  static PoolUnavailableException closedBeforeConnect(String authority, Throwable cause) {
    return new PoolUnavailableException("connection to " + authority + " closed by the gateway before it connected",
        "local", cause);
  }

  static boolean isClosedBeforeConnect(Throwable connectFailure) {
    return connectFailure instanceof ClosedChannelException;
  }

  String kind() {
    return kind;
  }
}
