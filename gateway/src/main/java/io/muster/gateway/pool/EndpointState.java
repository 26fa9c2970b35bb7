package io.muster.gateway.pool;

/** Lifecycle of an endpoint inside its pool. */
public enum EndpointState {
  /** Receives new requests. */
  ACTIVE,
  /** Temporarily out of the picker after consecutive failures; returns when its backoff ends. */
  EJECTED,
  /** Left the pool (deregistered or not routable): finishes its in-flight requests, takes no new ones. */
  DRAINING,
  /** Gone: its connections are closed. */
  CLOSED;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
