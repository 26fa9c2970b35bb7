package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.muster.certs.CertificateAuthority;
import io.muster.server.api.ServerTls;
import io.muster.server.config.PublicTls;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * JDK vs OpenSSL (netty-tcnative BoringSSL) on a gRPC port set up as a member's public port is
 * ({@link ServerTls}: the reloading key manager, EC P-256 certificates from {@code muster cert}):
 * new connections per second (TCP + TLS handshake + one call, from 4 threads) and unary calls per
 * second with their p50/p99 (64 callers in a closed loop over 4 connections), plain text as the
 * baseline. Client and server share this JVM. Sets are interleaved (JDK, OpenSSL, OpenSSL, JDK, ...).
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.TlsProviderBench
 * </pre>
 */
@Command(name = "tls-provider-bench", mixinStandardHelpOptions = true, description = "JDK vs OpenSSL TLS on a member-like gRPC port")
public final class TlsProviderBench implements Callable<Integer> {

    @Option(names = "--duration-s", defaultValue = "10", description = "Measured seconds per figure (default ${DEFAULT-VALUE})")
    int durationS;
    @Option(names = "--warmup-s", defaultValue = "5", description = "Unrecorded seconds before each figure (default ${DEFAULT-VALUE})")
    int warmupS;
    @Option(names = "--sets", defaultValue = "2", description = "Sets of JDK / OpenSSL (default ${DEFAULT-VALUE})")
    int sets;
    @Option(names = "--callers", defaultValue = "64", description = "Concurrent callers of the throughput figure (default ${DEFAULT-VALUE})")
    int callers;

    private Path dir;
    private ScheduledExecutorService scheduler;

    @Override
    public Integer call() throws Exception {
        System.out.println(MachineInfo.describe());
        System.out.println("# OpenSSL available: " + OpenSsl.isAvailable() + (OpenSsl.isAvailable() ? " (" + OpenSsl.versionString() + ")" : ""));
        dir = Files.createTempDirectory("muster-tls-bench-");
        CertificateAuthority ca = CertificateAuthority.create("bench-ca");
        ca.certificate().write(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        ca.issueMember("n1", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
                .write(dir.resolve("n1.pem"), dir.resolve("n1-key.pem"));
        scheduler = Executors.newSingleThreadScheduledExecutor();
        System.out.println("| provider | set | new connections/s | calls/s | p50 ms | p99 ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        try {
            measure(null, 0);
            for (int set = 1; set <= sets; set++) {
                List<SslProvider> order = set % 2 == 1 ? List.of(SslProvider.JDK, SslProvider.OPENSSL) : List.of(SslProvider.OPENSSL, SslProvider.JDK);
                for (SslProvider p : order) {
                    measure(p, set);
                }
            }
        } finally {
            scheduler.shutdownNow();
        }
        return 0;
    }

    private void measure(SslProvider provider, int set) throws Exception {
        HealthStatusManager health = new HealthStatusManager();
        NettyServerBuilder sb = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                .addService(health.getHealthService());
        ServerTls tls = null;
        SslContext client = null;
        if (provider != null) {
            tls = ServerTls.start("bench", new PublicTls(dir.resolve("n1.pem"), dir.resolve("n1-key.pem"), null,
                    PublicTls.ClientAuth.NONE, PublicTls.DEFAULT_RELOAD_PERIOD), provider, scheduler);
            sb.sslContext(tls.context());
            client = GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forClient(), provider)
                    .trustManager(dir.resolve("ca.pem").toFile()).build();
        }
        Server server = sb.build().start();
        try {
            int port = server.getPort();
            SslContext c = client;
            double connections = connections(port, c, warmupS);
            connections = connections(port, c, durationS);
            calls(port, c, warmupS);
            double[] calls = calls(port, c, durationS);
            System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %.2f | %.2f |%n", provider == null ? "plain text" : provider,
                    set == 0 ? "-" : Integer.toString(set), connections, calls[0], calls[1], calls[2]);
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            if (tls != null) {
                tls.close();
            }
        }
    }

    private static ManagedChannel channel(int port, SslContext tls) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port).directExecutor();
        return tls == null ? b.usePlaintext().build() : b.sslContext(tls).build();
    }

    /** New connections per second: each a TCP connect, a TLS handshake and one call, from 4 threads. */
    private static double connections(int port, SslContext tls, int seconds) throws Exception {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                while (System.nanoTime() < end) {
                    ManagedChannel ch = channel(port, tls);
                    try {
                        HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                        done.incrementAndGet();
                    } finally {
                        ch.shutdownNow();
                    }
                }
            }, "bench-connect-" + t);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        return done.get() / (double) seconds;
    }

    /** Unary calls per second and p50/p99 (ms): closed-loop callers over 4 connections. */
    private double[] calls(int port, SslContext tls, int seconds) throws Exception {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            channels.add(channel(port, tls));
        }
        Recorder recorder = new Recorder(3);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(callers);
        for (int c = 0; c < callers; c++) {
            HealthGrpc.HealthStub stub = HealthGrpc.newStub(channels.get(c % channels.size()));
            new Object() {
                void next() {
                    if (!running.get()) {
                        finished.countDown();
                        return;
                    }
                    long t0 = System.nanoTime();
                    stub.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                        @Override
                        public void onNext(HealthCheckResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            finished.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            recorder.recordValue(System.nanoTime() - t0);
                            done.incrementAndGet();
                            next();
                        }
                    });
                }
            }.next();
        }
        recorder.getIntervalHistogram(); // reset
        long start = done.get();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds)); // a benchmark's measured window, not a test wait
        long calls = done.get() - start;
        var h = recorder.getIntervalHistogram();
        running.set(false);
        finished.await(10, TimeUnit.SECONDS);
        channels.forEach(ManagedChannel::shutdownNow);
        return new double[] {calls / (double) seconds, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6};
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TlsProviderBench()).execute(args));
    }
}
