package io.muster.server.health.probe;


import com.sun.net.httpserver.HttpServer;
import io.muster.api.v1.HttpCheck;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.muster.testkit.ClusterTest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pooled HTTP prober against real sockets on 127.0.0.1: keep-alive connections are reused, a
 * connection the server dropped while idle is not a failure, a hung target times out at its
 * timeout and does not hold up probes of other targets.
 */
@ClusterTest
class HttpProbeConnectionsTest {

    private EventLoopGroup loop;
    private ExecutorService blocking;
    private HttpProber prober;
    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeEach
    void start() {
        loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        blocking = Executors.newCachedThreadPool();
        prober = new HttpProber(loop, new Addresses(blocking));
    }

    @AfterEach
    void stop() throws Exception {
        prober.close();
        for (AutoCloseable s : servers) {
            s.close();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
    }

    private static HttpCheck check(String path) {
        return HttpCheck.newBuilder().setPath(path).build();
    }

    @Test
    void probesOfOneTargetReuseAKeptAliveConnection() throws Exception {
        Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        servers.add(() -> server.stop(0));
        Probe p = prober.open("127.0.0.1", server.getAddress().getPort(), check("/health"), Duration.ofSeconds(2));
        for (int i = 0; i < 50; i++) {
            assertThat(p.run().get(5, TimeUnit.SECONDS)).isEqualTo(ProbeResult.pass("HTTP 200"));
        }
        assertThat(clientPorts).hasSize(1);
        p.close();
    }

    @Test
    void connectionTheServerDroppedWhileIdleIsRetriedOnANewOne() throws Exception {
        // answers one request per connection, then closes it without saying so (an idle timeout of 0)
        RawServer server = new RawServer(s -> {
            readHeaders(s.getInputStream());
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        });
        servers.add(server);
        Probe p = prober.open("127.0.0.1", server.port(), check("/"), Duration.ofSeconds(2));
        for (int i = 0; i < 20; i++) {
            assertThat(p.run().get(5, TimeUnit.SECONDS)).as("probe %d", i).isEqualTo(ProbeResult.pass("HTTP 200"));
        }
        assertThat(server.connections.get()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void hungTargetTimesOutAtItsTimeoutWithoutHoldingUpOthers() throws Exception {
        RawServer hung = new RawServer(s -> {
            readHeaders(s.getInputStream());
            s.getInputStream().read(); // never answers
        });
        servers.add(hung);
        HttpServer fast = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        fast.createContext("/", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        fast.setExecutor(Executors.newFixedThreadPool(4));
        fast.start();
        servers.add(() -> fast.stop(0));

        Probe slow = prober.open("127.0.0.1", hung.port(), check("/"), Duration.ofMillis(1500));
        List<CompletableFuture<ProbeResult>> slowOnes = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            slowOnes.add(slow.run());
        }
        Probe quick = prober.open("127.0.0.1", fast.getAddress().getPort(), check("/"), Duration.ofMillis(1500));
        for (int i = 0; i < 20; i++) {
            assertThat(quick.run().get(5, TimeUnit.SECONDS)).isEqualTo(ProbeResult.pass("HTTP 204"));
        }
        long quickDoneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(quickDoneMs).as("20 probes of the fast target, while 20 hang").isLessThan(1500);
        for (CompletableFuture<ProbeResult> f : slowOnes) {
            assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(ProbeResult.timeout(1500));
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1500);
    }

    @Test
    void statusRulesRedirectsAndRefusedConnections() throws Exception {
        AtomicInteger status = new AtomicInteger(301);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            ex.getResponseHeaders().add("Location", "/elsewhere");
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        Probe any2xx = prober.open("127.0.0.1", port, check("/"), Duration.ofSeconds(2));
        Probe exactly503 = prober.open("127.0.0.1", port, HttpCheck.newBuilder().setExpectedStatus(503).build(), Duration.ofSeconds(2));
        assertThat(any2xx.run().get()).isEqualTo(ProbeResult.fail("HTTP 301"));
        status.set(503);
        assertThat(any2xx.run().get()).isEqualTo(ProbeResult.fail("HTTP 503"));
        assertThat(exactly503.run().get()).isEqualTo(ProbeResult.pass("HTTP 503"));
        server.stop(0);
        assertThat(any2xx.run().get(5, TimeUnit.SECONDS)).isEqualTo(ProbeResult.fail("connect refused"));
    }

    @Test
    void aBusyTargetGetsAtMostTheCapOfConnectionsAndWaitingProbesTakeTheFreedOnes() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        // keep-alive server that holds every answer until the test lets it go
        RawServer server = new RawServer(s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (readHeadersOrEof(in)) {
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    return;
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        });
        servers.add(server);
        int cap = HttpProber.MAX_CONNECTIONS_PER_TARGET;
        Probe p = prober.open("127.0.0.1", server.port(), check("/"), Duration.ofSeconds(10));
        List<CompletableFuture<ProbeResult>> probes = new ArrayList<>();
        for (int i = 0; i < 3 * cap; i++) {
            probes.add(p.run());
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.connections.get() == cap);
        // the other probes wait for a connection instead of opening more
        Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> server.connections.get() == cap);
        answer.countDown();
        for (CompletableFuture<ProbeResult> f : probes) {
            assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(ProbeResult.pass("HTTP 200"));
        }
        assertThat(server.connections.get()).as("connections opened for %d probes", 3 * cap).isEqualTo(cap);
    }

    /** Reads one request head; false at the end of the stream. */
    private static boolean readHeadersOrEof(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b = 0;
        while (matched < 4 && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return matched == 4;
    }

    private static void readHeaders(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    /** A blocking one-thread-per-connection server, for behaviour a real HTTP server would not show on demand. */
    private static final class RawServer implements AutoCloseable {
        interface Handler {
            void handle(Socket s) throws IOException;
        }

        final AtomicInteger connections = new AtomicInteger();
        private final ServerSocket socket;
        private final ExecutorService threads = Executors.newCachedThreadPool();

        RawServer(Handler handler) throws IOException {
            socket = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
            threads.execute(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections.incrementAndGet();
                        threads.execute(() -> {
                            try (s) {
                                handler.handle(s);
                            } catch (IOException e) {
                                // the prober closed first
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            threads.shutdownNow();
        }
    }
}
