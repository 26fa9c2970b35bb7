package io.muster.bench.gateway;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * gRPC unary calls per second through the gateway against the same calls straight to the backend
 * (issue 19). The backend is a grpc-java server (the standard health service, a small unary call)
 * in this JVM with the client; the gateway is its own JVM ({@code io.muster.gateway.Main}, 1 event
 * loop, {@code -Xmx512m}) with one {@code protocol: grpc} route to it. Closed-loop callers over a few
 * HTTP/2 connections; rounds alternate direct / gateway after a warm-up of each.
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.gateway.GrpcGatewayBench \
 *   --gateway-classpath "gateway/target/classes:$(cat gateway/target/classpath.txt)"
 * </pre>
 */
@Command(name = "grpc-gateway-bench", mixinStandardHelpOptions = true,
    description = "gRPC unary calls/s through the gateway vs direct")
public final class GrpcGatewayBench implements Callable<Integer> {

  @Option(names = "--gateway-classpath", required = true, description = "Class path of io.muster.gateway.Main")
  String gatewayClasspath;
  @Option(names = "--duration-s", defaultValue = "10", description = "Measured seconds per round (default ${DEFAULT-VALUE})")
  int durationS;
  @Option(names = "--warmup-s", defaultValue = "10", description = "Unrecorded seconds per target first (default ${DEFAULT-VALUE})")
  int warmupS;
  @Option(names = "--rounds", defaultValue = "3", description = "Rounds of direct / gateway (default ${DEFAULT-VALUE})")
  int rounds;
  @Option(names = "--callers", defaultValue = "64", description = "Concurrent callers (default ${DEFAULT-VALUE})")
  int callers;
  @Option(names = "--connections", defaultValue = "4", description = "HTTP/2 connections of the client (default ${DEFAULT-VALUE})")
  int connections;
  @Option(names = "--gateway-io-threads", defaultValue = "1", description = "Event loops of the gateway (default ${DEFAULT-VALUE})")
  int gatewayIoThreads;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("grpc-gateway-bench");
    Server backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new HealthStatusManager().getHealthService()).directExecutor().build().start();
    int gatewayPort = freePort();
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(config, """
        listeners: [{host: 127.0.0.1, port: %d}]
        routes:
          - {prefix: /grpc.health.v1.Health/, service: backend, protocol: grpc, retries: 0}
        static-instances:
          backend: [{host: 127.0.0.1, port: %d}]
        """.formatted(gatewayPort, backend.getPort()));
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-Dio.netty.eventLoopThreads=" + gatewayIoThreads, "-cp", gatewayClasspath, "io.muster.gateway.Main",
        "--config", config.toString());
    Process gateway = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("gateway.log").toFile()).start();
    try {
      awaitPort(gatewayPort, gateway);
      System.out.printf("backend :%d, gateway :%d (pid %d, %d event loop(s)), %d callers over %d connections, "
          + "%d s rounds, %d s warm-up, log %s%n", backend.getPort(), gatewayPort, gateway.pid(), gatewayIoThreads,
          callers, connections, durationS, warmupS, dir.resolve("gateway.log"));
      calls(backend.getPort(), warmupS);
      calls(gatewayPort, warmupS);
      System.out.println("| round | target | calls/s | p50 ms | p99 ms | errors |");
      System.out.println("|---|---|---:|---:|---:|---:|");
      for (int r = 1; r <= rounds; r++) {
        for (String target : List.of("direct", "gateway")) {
          double[] x = calls(target.equals("direct") ? backend.getPort() : gatewayPort, durationS);
          System.out.printf(Locale.ROOT, "| %d | %s | %.0f | %.2f | %.2f | %.0f |%n", r, target, x[0], x[1], x[2], x[3]);
        }
      }
    } finally {
      gateway.destroy();
      gateway.waitFor(10, TimeUnit.SECONDS);
      backend.shutdownNow();
    }
    return 0;
  }

  /** Calls per second, p50 and p99 in ms, and errors, over {@code seconds} of closed-loop calls. */
  private double[] calls(int port, int seconds) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
    }
    Recorder recorder = new Recorder(3);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(callers);
    HealthCheckRequest request = HealthCheckRequest.getDefaultInstance();
    for (int c = 0; c < callers; c++) {
      HealthGrpc.HealthStub stub = HealthGrpc.newStub(channels.get(c % channels.size()));
      new Object() {
        void next() {
          if (!running.get()) {
            finished.countDown();
            return;
          }
          long t0 = System.nanoTime();
          stub.withDeadlineAfter(5, TimeUnit.SECONDS).check(request, new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse value) {}

            @Override
            public void onError(Throwable t) {
              errors.incrementAndGet();
              next();
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
    long errorsBefore = errors.get();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds)); // the measured window
    long calls = done.get() - start;
    long failed = errors.get() - errorsBefore;
    var h = recorder.getIntervalHistogram();
    running.set(false);
    finished.await(10, TimeUnit.SECONDS);
    channels.forEach(ManagedChannel::shutdownNow);
    return new double[] {calls / (double) seconds, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
        failed};
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the gateway exited with " + p.exitValue());
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("the gateway did not listen on " + port + " within 30 s");
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new GrpcGatewayBench()).execute(args));
  }
}
