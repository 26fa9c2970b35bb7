package io.muster.server.health;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/** A real HTTP backend on 127.0.0.1: answers every request with a status chosen by the test; can be stopped and restarted on the same port. */
final class HttpBackend implements AutoCloseable {

    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "test-http-backend");
        t.setDaemon(true);
        return t;
    });
    final AtomicInteger requests = new AtomicInteger();
    private volatile IntUnaryOperator statusOfRequest = n -> 200;
    private volatile int port;
    private HttpServer server;

    static HttpBackend start() {
        HttpBackend b = new HttpBackend();
        b.bind(0);
        return b;
    }

    int port() {
        return port;
    }

    /** Every request gets {@code status}. */
    void respond(int status) {
        statusOfRequest = n -> status;
    }

    /** The n-th request (counting from 1) gets {@code f(n)}. */
    void respond(IntUnaryOperator f) {
        statusOfRequest = f;
    }

    private synchronized void bind(int p) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            int status = statusOfRequest.applyAsInt(requests.incrementAndGet());
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.setExecutor(executor);
        server.start();
        port = server.getAddress().getPort();
    }

    /** Stops listening: connects are refused. */
    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** Listens again on the same port. */
    synchronized void restart() {
        stop();
        bind(port);
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
