package io.muster.gateway;

import io.muster.config.ConfigException;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.InstanceSource;
import io.muster.gateway.pool.RegistryInstanceSource;
import io.muster.gateway.pool.StaticInstanceSource;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code muster-gateway --config gateway.yaml}: runs the gateway until SIGTERM / SIGINT, then drains.
 * Instances come from the registry ({@code registry.targets}, kept current by watch streams), or
 * from {@code static-instances} when no registry is configured.
 *
 * <p>Exit codes: 0 after a clean shutdown, 2 for an invalid configuration, 1 when start fails.
 */
@Command(name = "muster-gateway", mixinStandardHelpOptions = true, version = "muster-gateway 0.1.0",
    description = "HTTP/1.1 load-balancing reverse proxy for Muster services.")
public final class Main implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration file")
  Path config;

  @Option(names = "--check", description = "Validate the configuration and exit")
  boolean checkOnly;

  private final CountDownLatch stop = new CountDownLatch(1);

  /** The gateway's ACL token (docs/security.md), if its file names one; a token file wins. */
  static io.muster.client.RegistryClient.Builder registryToken(io.muster.gateway.config.RegistryConfig r,
                                                               io.muster.client.RegistryClient.Builder b) {
    if (r.tokenFile() != null) {
      return b.tokenFile(java.nio.file.Path.of(r.tokenFile()));
    }
    return r.token() == null ? b : b.token(r.token());
  }

  /** The registry connection's TLS from {@code registry.tls|ca|cert|key}. */
  static io.muster.client.RegistryClient.Builder registryTls(io.muster.gateway.config.RegistryConfig r,
                                                              io.muster.client.RegistryClient.Builder b) {
    if (r.tlsOn()) {
      b.tls(r.ca() == null ? null : java.nio.file.Path.of(r.ca()));
      if (r.cert() != null) {
        b.clientCertificate(java.nio.file.Path.of(r.cert()), java.nio.file.Path.of(r.key()));
      }
    }
    return b;
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Every TLS file the configuration names, read and checked before anything starts (missing,
   * unreadable, not PEM, a key that is not the certificate's, a certificate not valid now): one
   * message naming the key and the file, not a handshake failure later.
   */
  static void checkTlsFiles(GatewayConfig cfg, java.time.Instant now) {
    io.muster.gateway.config.RegistryConfig r = cfg.registry();
    if (r.ca() != null) {
      io.muster.api.tls.TlsFiles.checkCa("registry.ca", java.nio.file.Path.of(r.ca()), now);
    }
    if (r.cert() != null && r.key() != null) {
      io.muster.api.tls.TlsFiles.checkPair("registry.cert", java.nio.file.Path.of(r.cert()), "registry.key",
          java.nio.file.Path.of(r.key()), now);
    }
    for (int i = 0; i < cfg.listeners().size(); i++) {
      io.muster.gateway.config.ListenerTlsConfig tls = cfg.listeners().get(i).tls();
      if (tls == null) {
        continue;
      }
      for (int c = 0; c < tls.certificates().size(); c++) {
        var cert = tls.certificates().get(c);
        String at = "listeners[" + i + "].tls.certificates[" + c + "].";
        io.muster.api.tls.TlsFiles.checkPair(at + "cert-file", java.nio.file.Path.of(cert.certFile()), at + "key-file",
            java.nio.file.Path.of(cert.keyFile()), now);
      }
    }
    for (int i = 0; i < cfg.routes().size(); i++) {
      io.muster.gateway.config.UpstreamTlsConfig tls = cfg.routes().get(i).upstreamTls();
      if (tls == null) {
        continue;
      }
      String at = "routes[" + i + "].upstream-tls.";
      if (tls.caFile() != null) {
        io.muster.api.tls.TlsFiles.checkCa(at + "ca-file", java.nio.file.Path.of(tls.caFile()), now);
      }
      if (tls.certFile() != null && tls.keyFile() != null) {
        io.muster.api.tls.TlsFiles.checkPair(at + "cert-file", java.nio.file.Path.of(tls.certFile()), at + "key-file",
            java.nio.file.Path.of(tls.keyFile()), now);
      }
    }
  }

  /** Runs the command line and returns the exit code (instead of exiting). */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public Integer call() {
    PrintWriter err = new PrintWriter(System.err, true);
    GatewayConfig cfg;
    try {
      cfg = ConfigLoader.load(config);
    } catch (ConfigException e) {
      err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    try {
      checkTlsFiles(cfg, java.time.Instant.now());
    } catch (IllegalArgumentException e) {
      err.println("invalid configuration: " + config + ": " + e.getMessage());
      return 2;
    }
    if (checkOnly) {
      System.out.println(config + ": ok, " + cfg.routes().size() + " route(s)");
      return 0;
    }
    InstanceSource source = cfg.registry().targets().isEmpty()
        ? new StaticInstanceSource(cfg.staticInstancesByService())
        : new RegistryInstanceSource(cfg.registry().targets(), cfg.registry().snapshotPath(),
            b -> registryTls(cfg.registry(), registryToken(cfg.registry(), b)));
    GatewayServer server = new GatewayServer();
    GatewayServer.BoundPorts ports;
    try {
      ports = server.start(cfg, source);
    } catch (RuntimeException e) {
      err.println("cannot start: " + e.getMessage());
      source.close();
      return 1;
    }
    for (InetSocketAddress a : ports.listeners()) {
      System.out.println("proxy listening on " + a);
    }
    if (ports.admin() != null) {
      System.out.println("admin listening on " + ports.admin());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      source.close();
      stop.countDown();
    }, "muster-gw-shutdown"));
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
