package io.muster.gateway.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.muster.api.v1.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on 127.0.0.1 and an ephemeral port (JDK HTTP server). By default every request
 * is answered {@code 200} with body {@code <name>} and the request headers echoed as {@code
 * echo-<header>} response headers; tests add handlers per path.
 */
public final class TestBackend implements AutoCloseable {

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger requests = new AtomicInteger();
  private final Map<String, HttpHandler> handlers = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  public TestBackend(String name) throws IOException {
    this(name, null, false);
  }

  /**
   * An HTTPS backend when {@code tls} is not null.
   *
   * @param needClientAuth require a client certificate that {@code tls} trusts
   */
  public TestBackend(String name, javax.net.ssl.SSLContext tls, boolean needClientAuth) throws IOException {
    this.name = name;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(16, 16, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1000), r -> {
      Thread t = new Thread(r, "backend-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    if (tls == null) {
      this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    } else {
      com.sun.net.httpserver.HttpsServer https =
          com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls) {
        @Override
        public void configure(com.sun.net.httpserver.HttpsParameters params) {
          javax.net.ssl.SSLParameters p = tls.getDefaultSSLParameters();
          p.setNeedClientAuth(needClientAuth);
          params.setSSLParameters(p);
        }
      });
      this.server = https;
    }
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
    server.start();
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public int requests() {
    return requests.get();
  }

  public Instance instance(String service) {
    return Instances.healthy(service, name, port());
  }

  /** Serves requests whose path starts with {@code prefix} with {@code handler}. */
  public TestBackend handle(String prefix, HttpHandler handler) {
    handlers.put(prefix, handler);
    return this;
  }

  private void dispatch(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    try {
      String path = ex.getRequestURI().getPath();
      HttpHandler h = handlers.entrySet().stream().filter(e -> path.startsWith(e.getKey()))
          .max(Map.Entry.comparingByKey((a, b) -> Integer.compare(a.length(), b.length())))
          .map(Map.Entry::getValue).orElse(null);
      if (h != null) {
        h.handle(ex);
      } else {
        echo(ex, 200);
      }
    } finally {
      ex.close();
    }
  }

  /** Answers {@code status} with the backend's name, echoing request headers and path. */
  public void echo(HttpExchange ex, int status) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    ex.getRequestHeaders().forEach((k, v) -> ex.getResponseHeaders().put("echo-" + k.toLowerCase(), List.copyOf(v)));
    ex.getResponseHeaders().set("echo-path", ex.getRequestURI().toString());
    byte[] body = name.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** Stops at once, closing open connections (a crash as far as clients can tell). */
  public void kill() {
    if (running) {
      running = false;
      server.stop(0);
      executor.shutdownNow();
    }
  }

  @Override
  public void close() {
    kill();
  }
}
