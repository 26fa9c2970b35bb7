package io.muster.gateway.config;

import io.muster.api.v1.Instance;
import io.muster.gateway.pool.PoolSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway configuration, read from YAML by {@link ConfigLoader}. Keys are kebab-case; unknown keys
 * are rejected.
 *
 * <pre>{@code
 * listeners: [{host: 0.0.0.0, port: 8080}]
 * admin: {port: 9901}
 * routes:
 *   - {prefix: /orders/, service: orders, rewrite: /, strategy: peak-ewma, retries: 2}
 * static-instances:
 *   orders: [{host: 10.0.0.5, port: 9000}]
 * }</pre>
 *
 * @param listeners proxy listeners, at least one
 * @param admin admin endpoint, optional
 * @param registry registry servers (for the registry-backed source, later)
 * @param outlier outlier detection
 * @param balancer load-balancer settings
 * @param retryBudget retry budget
 * @param upstream backend connection pools
 * @param routes routes, at least one
 * @param staticInstances instances by service, used when no registry source is wired
 * @param shutdownDrainMs how long close waits for requests in progress, default 10000
 * @param accessLog the access log, optional (off without it)
 * @param locality the gateway's zone (and its fleet), for zone-aware routes
 */
public record GatewayConfig(List<ListenerConfig> listeners, AdminConfig admin, RegistryConfig registry,
    OutlierConfig outlier, BalancerConfig balancer, RetryBudgetConfig retryBudget, UpstreamConfig upstream,
    List<RouteConfig> routes, Map<String, List<StaticInstanceConfig>> staticInstances, Long shutdownDrainMs,
    AccessLogConfig accessLog, LocalityConfig locality) {

  /** A configuration without access-log and locality sections. */
  public GatewayConfig(List<ListenerConfig> listeners, AdminConfig admin, RegistryConfig registry,
      OutlierConfig outlier, BalancerConfig balancer, RetryBudgetConfig retryBudget, UpstreamConfig upstream,
      List<RouteConfig> routes, Map<String, List<StaticInstanceConfig>> staticInstances, Long shutdownDrainMs) {
    this(listeners, admin, registry, outlier, balancer, retryBudget, upstream, routes, staticInstances,
        shutdownDrainMs, null, null);
  }

  /** A configuration with an access-log section and without a locality section. */
  public GatewayConfig(List<ListenerConfig> listeners, AdminConfig admin, RegistryConfig registry,
      OutlierConfig outlier, BalancerConfig balancer, RetryBudgetConfig retryBudget, UpstreamConfig upstream,
      List<RouteConfig> routes, Map<String, List<StaticInstanceConfig>> staticInstances, Long shutdownDrainMs,
      AccessLogConfig accessLog) {
    this(listeners, admin, registry, outlier, balancer, retryBudget, upstream, routes, staticInstances,
        shutdownDrainMs, accessLog, null);
  }

  /** A configuration with a locality section and without an access-log section. */
  public GatewayConfig(List<ListenerConfig> listeners, AdminConfig admin, RegistryConfig registry,
      OutlierConfig outlier, BalancerConfig balancer, RetryBudgetConfig retryBudget, UpstreamConfig upstream,
      List<RouteConfig> routes, Map<String, List<StaticInstanceConfig>> staticInstances, Long shutdownDrainMs,
      LocalityConfig locality) {
    this(listeners, admin, registry, outlier, balancer, retryBudget, upstream, routes, staticInstances,
        shutdownDrainMs, null, locality);
  }

  public GatewayConfig {
    Checks.required(listeners, "listeners");
    Checks.checkArgument(!listeners.isEmpty(), "listeners: at least one listener required");
    listeners = List.copyOf(listeners);
    registry = registry == null ? new RegistryConfig(null) : registry;
    outlier = outlier == null ? OutlierConfig.DEFAULT : outlier;
    balancer = balancer == null ? BalancerConfig.DEFAULT : balancer;
    retryBudget = retryBudget == null ? RetryBudgetConfig.DEFAULT : retryBudget;
    upstream = upstream == null ? UpstreamConfig.DEFAULT : upstream;
    Checks.required(routes, "routes");
    Checks.checkArgument(!routes.isEmpty(), "routes: at least one route required");
    routes = List.copyOf(routes);
    staticInstances = staticInstances == null ? Map.of() : Map.copyOf(staticInstances);
    shutdownDrainMs = Checks.positiveMillis(shutdownDrainMs, 10_000, "shutdown-drain-ms");
    locality = locality == null ? new LocalityConfig(null, null) : locality;
    for (int i = 0; i < routes.size(); i++) {
      Checks.checkArgument(locality.zone() != null || routes.get(i).zoneAware() == null
          || !routes.get(i).zoneAware().enabled(),
          "routes[%s].zone-aware: needs the gateway's zone (locality.zone)", i);
    }
  }

  public PoolSettings poolSettings() {
    return new PoolSettings(outlier.toPolicy(), Duration.ofMillis(balancer.ewmaDecayMs()));
  }

  /** {@code static-instances} as registry instances, by service. */
  public Map<String, List<Instance>> staticInstancesByService() {
    Map<String, List<Instance>> out = new LinkedHashMap<>();
    staticInstances.forEach((service, list) ->
        out.put(service, list.stream().map(i -> i.toInstance(service)).toList()));
    return out;
  }
}
