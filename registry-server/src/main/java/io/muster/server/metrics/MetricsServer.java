package io.muster.server.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Serves, on its own small HTTP server: {@code GET /metrics} (Prometheus text format),
 * {@code /healthz} (200 while the process serves HTTP at all: a liveness probe) and {@code /readyz}
 * (200 {@code ready}, or 503 with the reason of {@link Readiness}: a readiness probe).
 *
 * <p>One thread and a queue of {@link #QUEUE} requests; beyond that a request is served on the
 * server's dispatcher thread, which stops accepting meanwhile (scrapers and probes are few; this only
 * bounds a flood).
 */
public final class MetricsServer implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MetricsServer.class);
    private final HttpServer server;
    static final int QUEUE = 16;
    private final ExecutorService executor;

    public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Readiness readiness) throws IOException {
        this(host, port, registry, readiness, null);
    }

    /**
     * @param tls HTTPS with this context (the member's public certificate: its key manager reads the
     *            reloaded one on every handshake), or null for plain HTTP
     */
    public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Readiness readiness, javax.net.ssl.SSLContext tls)
            throws IOException {
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 16);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = https;
        }
        executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                new io.netty.util.concurrent.DefaultThreadFactory("muster-metrics-http", true), new ThreadPoolExecutor.CallerRunsPolicy());
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> {
            byte[] body;
            int status;
            try {
                body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                status = 200;
            } catch (RuntimeException e) {
                // the JDK server would just drop the connection: say what broke, in the log and the answer
                log.warn("metrics scrape failed", e);
                body = ("scrape failed: " + e).getBytes(StandardCharsets.UTF_8);
                status = 500;
            }
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/healthz", ex -> plain(ex, 200, "ok\n"));
        server.createContext("/readyz", ex -> {
            Readiness.Verdict v;
            try {
                v = readiness.check();
            } catch (RuntimeException e) {
                log.warn("readiness check failed", e);
                v = new Readiness.Verdict(false, "check failed: " + e);
            }
            plain(ex, v.ready() ? 200 : 503, v.reason() + "\n");
        });
        server.start();
    }

    private static void plain(com.sun.net.httpserver.HttpExchange ex, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
