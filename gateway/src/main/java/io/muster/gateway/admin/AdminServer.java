package io.muster.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.muster.gateway.pool.PoolStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint, on its own port:
 * <ul>
 *   <li>{@code GET /pools}: JSON, every service pool with its endpoints (state active / ejected /
 *       draining, in-flight requests, latency EWMA, failures, ejections);</li>
 *   <li>{@code GET /metrics}: Prometheus text exposition of the gateway's meters;</li>
 *   <li>{@code GET /healthz}: 200 while the process serves (liveness);</li>
 *   <li>{@code GET /readyz}: 200 once every pool had a first answer from the registry (at once with
 *       static instances), 503 with the reason before (readiness);</li>
 *   <li>{@code GET /ui/}: the pools as a page for a browser, refreshed from {@code /pools}
 *       ({@link AdminPage}, docs/console.md).</li>
 * </ul>
 * Served by the JDK HTTP server on one named thread with a bounded queue: admin traffic is light and
 * must never compete with the proxy's event loops.
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Supplier<List<PoolStatus>> pools;
  private final PrometheusMeterRegistry registry;
  private final java.util.function.BooleanSupplier ready;
  private final AdminPage page = AdminPage.load();
  private HttpServer server;
  private ThreadPoolExecutor executor;

  public AdminServer(Supplier<List<PoolStatus>> pools, PrometheusMeterRegistry registry) {
    this(pools, registry, () -> true);
  }

  /** @param ready whether the pools had their first answer from the registry */
  public AdminServer(Supplier<List<PoolStatus>> pools, PrometheusMeterRegistry registry, java.util.function.BooleanSupplier ready) {
    this.pools = pools;
    this.registry = registry;
    this.ready = ready;
  }

  /** Binds and starts serving. @return the bound address */
  public synchronized InetSocketAddress start(String host, int port) throws IOException {
    AtomicInteger n = new AtomicInteger();
    executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(64), r -> {
      Thread t = new Thread(r, "muster-gw-admin-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
    server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.setExecutor(executor);
    server.createContext("/pools", ex -> handle(ex, this::poolsJson, "application/json"));
    server.createContext("/metrics", ex -> handle(ex, registry::scrape, "text/plain; version=0.0.4; charset=utf-8"));
    server.createContext("/healthz", ex -> handle(ex, () -> "ok\n", "text/plain; charset=utf-8"));
    server.createContext("/readyz", ex -> {
      if (ready.getAsBoolean()) {
        handle(ex, () -> "ready\n", "text/plain; charset=utf-8");
      } else {
        respond(ex, 503, "text/plain; charset=utf-8", "waiting for the registry's first answer\n");
      }
    });
    server.createContext("/ui", this::page);
    server.createContext("/", ex -> {
      if (ex.getRequestURI().getRawPath().equals("/")) {
        redirect(ex, "/ui/");
      } else {
        respond(ex, 404, "text/plain", "not found: try /ui/, /pools, /metrics, /healthz or /readyz\n");
      }
    });
    server.start();
    InetSocketAddress bound = server.getAddress();
    log.info("admin endpoint listening on {}", bound);
    return bound;
  }

  /** A file of the pools page, by exact name (see {@link AdminPage}); revalidated on every load. */
  private void page(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    if (path.equals("/ui")) {
      redirect(ex, "/ui/");
      return;
    }
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      respond(ex, 405, "text/plain", "method not allowed: " + method + " (expected: GET)\n");
      return;
    }
    AdminPage.File file = path.startsWith("/ui/") ? page.find(path.substring("/ui/".length())).orElse(null) : null;
    if (file == null) {
      respond(ex, 404, "text/plain", "not found: " + path + " (expected: /ui/ or one of its files " + AdminPage.FILES + ")\n");
      return;
    }
    var h = ex.getResponseHeaders();
    h.set("Content-Type", file.contentType());
    h.set("Cache-Control", "no-cache");
    h.set("ETag", file.etag());
    h.set("Content-Security-Policy", AdminPage.CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    if (file.etag().equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
      ex.sendResponseHeaders(304, -1);
      ex.close();
      return;
    }
    boolean head = method.equals("HEAD");
    ex.sendResponseHeaders(200, head ? -1 : file.bytes().length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(file.bytes());
      }
    }
    ex.close();
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
    ex.close();
  }

  private String poolsJson() throws IOException {
    return JSON.writeValueAsString(Map.of("pools", pools.get()));
  }

  private interface Body {
    String get() throws IOException;
  }

  private static void handle(HttpExchange ex, Body body, String contentType) throws IOException {
    try {
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        respond(ex, 405, "text/plain", "method not allowed: " + method + " (expected: GET)\n");
        return;
      }
      respond(ex, 200, contentType, body.get());
    } catch (RuntimeException | IOException e) {
      log.warn("admin request {} failed", ex.getRequestURI(), e);
      respond(ex, 500, "text/plain", "internal error: " + e + "\n");
    }
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      server = null;
    }
  }
}
