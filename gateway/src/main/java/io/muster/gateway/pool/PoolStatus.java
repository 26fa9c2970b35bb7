package io.muster.gateway.pool;

import java.util.List;

/**
 * A point-in-time view of one service pool, for the admin endpoint.
 *
 * @param service service name
 * @param endpoints active, ejected and draining endpoints
 */
public record PoolStatus(String service, List<EndpointStatus> endpoints) {

  public PoolStatus {
    endpoints = List.copyOf(endpoints);
  }

  /**
   * @param id instance id
   * @param address host:port
   * @param state active, ejected or draining
   * @param health the registry's health status
   * @param weight load-balancing weight
   * @param inflight requests in flight
   * @param ewmaMillis latency EWMA, decayed to now
   * @param consecutiveFailures failures in a row since the last success
   * @param ejections ejections counted for backoff
   * @param ejectedForMillis remaining ejection, 0 unless ejected
   */
  public record EndpointStatus(String id, String address, String state, String health, int weight,
      int inflight, double ewmaMillis, int consecutiveFailures, int ejections, long ejectedForMillis) {}
}
