package io.muster.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.muster.gateway.admin.AdminServer;
import io.muster.gateway.admin.JvmMetrics;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.config.ListenerConfig;
import io.muster.gateway.config.RouteConfig;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.pool.InstanceSource;
import io.muster.gateway.pool.PoolManager;
import io.muster.gateway.pool.PoolStatus;
import io.muster.gateway.pool.Scheduler;
import io.muster.gateway.observe.AccessLog;
import io.muster.gateway.observe.RequestIds;
import io.muster.gateway.proxy.EdgePolicies;
import io.muster.gateway.ratelimit.RateLimit;
import io.muster.gateway.ratelimit.RouteLimits;
import io.muster.gateway.proxy.Listener;
import io.muster.gateway.proxy.ProxyMetrics;
import io.muster.gateway.proxy.ProxyServer;
import io.muster.gateway.proxy.RetryBudget;
import io.muster.gateway.proxy.Transport;
import io.muster.gateway.proxy.UpstreamConnections;
import io.muster.gateway.route.Locality;
import io.muster.gateway.route.Route;
import io.muster.gateway.route.RouteBalancer;
import io.muster.gateway.route.Router;
import io.muster.gateway.tls.ServerCertificates;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: proxy listeners, per-service pools fed by an {@link InstanceSource}, and the admin
 * endpoint.
 *
 * <pre>{@code
 * try (GatewayServer gateway = new GatewayServer()) {
 *   GatewayServer.BoundPorts ports = gateway.start(ConfigLoader.load(path), source);
 *   ...
 * } // close() drains: requests in progress finish first
 * }</pre>
 *
 * <p>The source is not closed by the gateway: whoever created it closes it.
 */
public final class GatewayServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

  /**
   * What the gateway takes from its environment.
   *
   * @param nanoClock monotonic time for latency, EWMA and ejections
   * @param random randomness for the balancers and the retry back-off jitter, thread-safe
   * @param ioThreads event loop threads, 0 for Netty's default
   * @param nativeTransport use epoll when available
   */
  public record Options(LongSupplier nanoClock, RandomGenerator random, int ioThreads, boolean nativeTransport) {
    public Options {
      Objects.requireNonNull(nanoClock, "nanoClock");
      Objects.requireNonNull(random, "random");
      if (ioThreads < 0) {
        throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 0)");
      }
    }

    public static Options defaults() {
      return new Options(System::nanoTime, PickerResources.threadLocalRandom(), 0, true);
    }
  }

  /**
   * Where the gateway listens.
   *
   * @param listeners proxy listeners, in configuration order
   * @param admin admin endpoint, or {@code null} when not configured
   */
  public record BoundPorts(List<InetSocketAddress> listeners, InetSocketAddress admin) {
    public BoundPorts {
      listeners = List.copyOf(listeners);
    }

    /** Port of the first listener. */
    public int proxyPort() {
      return listeners.get(0).getPort();
    }
  }

  private final Options options;
  private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private GatewayConfig config;
  private Transport transport;
  private ScheduledThreadPoolExecutor timers;
  private UpstreamConnections upstream;
  private PoolManager pools;
  private ProxyServer proxy;
  private AdminServer admin;
  private JvmMetrics jvmMetrics;
  private AccessLog accessLog = AccessLog.off();
  private boolean closed;

  public GatewayServer() {
    this(Options.defaults());
  }

  public GatewayServer(Options options) {
    this.options = options;
  }

  /**
   * Starts listening and subscribes the pools of every routed service to {@code source}.
   *
   * @throws IllegalStateException if already started or closed
   * @throws UncheckedIOException if a port cannot be bound
   */
  public synchronized BoundPorts start(GatewayConfig config, InstanceSource source) {
    if (this.config != null || closed) {
      throw new IllegalStateException(closed ? "closed" : "already started");
    }
    this.config = config;
    try {
      jvmMetrics = JvmMetrics.bind(meters);
      transport = Transport.create(options.ioThreads(), "muster-gw-io", options.nativeTransport());
      timers = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "muster-gw-timer");
        t.setDaemon(true);
        return t;
      });
      timers.setRemoveOnCancelPolicy(true);
      var up = config.upstream();
      upstream = new UpstreamConnections(transport, up.maxConnectionsPerEndpoint(), up.maxIdlePerLoop(),
          Duration.ofMillis(up.idleTimeoutMs()));
      pools = new PoolManager(source, config.poolSettings(), options.nanoClock(), Scheduler.of(timers), meters,
          upstream::endpointClosed);
      PickerResources resources = new PickerResources(options.nanoClock(), options.random());
      Locality locality = null;
      if (config.locality().zone() != null) {
        locality = new Locality(config.locality().zone(), config.locality().localCluster() != null);
        if (config.locality().localCluster() != null) {
          pools.pool(config.locality().localCluster()).subscribe(locality);
        }
      }
      List<RouteBalancer> balancers = new ArrayList<>();
      Map<Route, RateLimit> limits = new IdentityHashMap<>();
      for (RouteConfig rc : config.routes()) {
        Route route = rc.toRoute();
        if (rc.rateLimit() != null) {
          limits.put(route, rc.rateLimit().toRateLimit());
        }
        upstream.prepare(route);
        RouteBalancer balancer = new RouteBalancer(route, resources, locality);
        pools.pool(route.service()).subscribe(balancer);
        balancers.add(balancer);
      }
      var rb = config.retryBudget();
      accessLog = startAccessLog(config);
      EdgePolicies edge = new EdgePolicies(RouteLimits.of(limits, options.nanoClock()),
          new RequestIds(options.random()), accessLog);
      proxy = new ProxyServer(transport, new Router(balancers), upstream,
          new RetryBudget(rb.ratio(), rb.minPerSecond(), options.nanoClock()), new ProxyMetrics(meters),
          options.nanoClock(), options.random(), edge);
      Gauge.builder("muster.gateway.inflight", proxy, ProxyServer::inFlight)
          .description("Requests in progress").register(meters);
      List<InetSocketAddress> bound = new ArrayList<>();
      for (ListenerConfig l : config.listeners()) {
        ServerCertificates certs = l.tls() == null ? null : new ServerCertificates(l.tls(), l.http2());
        if (certs != null && certs.reloadIntervalMs() > 0) {
          long every = certs.reloadIntervalMs();
          timers.scheduleWithFixedDelay(certs::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
        }
        bound.add(proxy.bind(new Listener(l.host(), l.port(), Duration.ofMillis(l.idleTimeoutMs()), l.http2(),
            l.http2Limits(), certs)));
      }
      InetSocketAddress adminAddress = null;
      if (config.admin() != null) {
        admin = new AdminServer(pools::status, meters, source::answered);
        adminAddress = admin.start(config.admin().host(), config.admin().port());
      }
      return new BoundPorts(bound, adminAddress);
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot start the admin endpoint: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private AccessLog startAccessLog(GatewayConfig config) {
    var c = config.accessLog();
    if (c == null) {
      return AccessLog.off();
    }
    OutputStream out;
    try {
      out = c.stdout() ? System.out : new FileOutputStream(c.output(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the access log: access-log.output: " + e.getMessage(), e);
    }
    return AccessLog.start(out, !c.stdout(), c.queueCapacity(), Clock.systemUTC(), meters);
  }

  /** Snapshots of the service pools. */
  public List<PoolStatus> pools() {
    PoolManager p;
    synchronized (this) {
      p = pools;
    }
    return p == null ? List.of() : p.status();
  }

  public PrometheusMeterRegistry meterRegistry() {
    return meters;
  }

  /**
   * Stops accepting, waits up to {@code shutdown-drain-ms} for requests in progress, then closes
   * connections, pools and threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (proxy != null) {
      proxy.drain(Duration.ofMillis(config.shutdownDrainMs()));
      proxy.close();
    }
    accessLog.close(); // after the drain: the last requests' lines are written
    if (admin != null) {
      admin.close();
    }
    if (pools != null) {
      pools.close();
    }
    if (upstream != null) {
      upstream.closeAll();
    }
    if (timers != null) {
      timers.shutdownNow();
    }
    if (transport != null) {
      transport.shutdown(Duration.ofSeconds(2));
    }
    if (jvmMetrics != null) {
      jvmMetrics.close();
    }
    meters.close();
    log.info("gateway closed");
  }
}
