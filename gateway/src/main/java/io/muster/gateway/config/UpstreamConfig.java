package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.checkArgument;

/**
 * Connections to backends.
 *
 * @param maxConnectionsPerEndpoint open connections per endpoint, default 1024; beyond, a request
 *     fails over to another endpoint
 * @param maxIdlePerLoop idle keep-alive connections kept per endpoint and event loop, default 64
 * @param idleTimeoutMs an idle pooled connection is closed after this long, default 60000
 */
public record UpstreamConfig(Integer maxConnectionsPerEndpoint, Integer maxIdlePerLoop, Long idleTimeoutMs) {

  public static final UpstreamConfig DEFAULT = new UpstreamConfig(null, null, null);

  public UpstreamConfig {
    maxConnectionsPerEndpoint = maxConnectionsPerEndpoint == null ? 1024 : maxConnectionsPerEndpoint;
    checkArgument(maxConnectionsPerEndpoint >= 1, "max-connections-per-endpoint: %s (expected: >= 1)",
        maxConnectionsPerEndpoint);
    maxIdlePerLoop = maxIdlePerLoop == null ? 64 : maxIdlePerLoop;
    checkArgument(maxIdlePerLoop >= 0, "max-idle-per-loop: %s (expected: >= 0)", maxIdlePerLoop);
    idleTimeoutMs = Checks.positiveMillis(idleTimeoutMs, 60_000, "idle-timeout-ms");
  }
}
