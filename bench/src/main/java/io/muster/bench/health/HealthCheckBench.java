package io.muster.bench.health;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.health.Rendezvous;
import io.muster.testkit.ProcessCluster;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark (a main, not a test): a 3-node cluster in separate JVMs health-checks N instances whose
 * HTTP checks (interval 1 s, timeout 500 ms, rise 1, fall 2) hit a few local HTTP servers. Reports
 * CPU per node in steady state, and the detection latency from "backend killed" to the
 * HEALTH_CHANGED event at a watcher — with all members up, and with the owner of a quarter of the
 * checks killed (SIGKILL) at the same moment as the backend.
 *
 * <p>Run: {@code java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.muster.bench.health.HealthCheckBench [instances] [backends] [intervalMs] [results.md]}
 */
public final class HealthCheckBench {

    private static final List<Node> NODES = new ArrayList<>();
    private static int INTERVAL_MS = 1000;
    private static int TIMEOUT_MS = 500;
    private static final int FALL = 2;

    public static void main(String[] args) throws Exception {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int backends = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        INTERVAL_MS = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        TIMEOUT_MS = Math.min(500, INTERVAL_MS);
        Path out = args.length > 3 ? Path.of(args[3]) : null;
        Path base = Files.createTempDirectory(Path.of("target"), "health-bench-");
        List<Node> nodes = NODES;
        String peers = String.join(",", List.of("n1", "n2", "n3").stream().map(id -> {
            Node n = new Node(id, "127.0.0.1:" + freePort(), "127.0.0.1:" + freePort(), base);
            nodes.add(n);
            return n.spec();
        }).toList());
        EventLoopGroup backendLoop = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<Backend> servers = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        try {
            for (Node n : nodes) {
                n.start(peers);
            }
            String leader = awaitLeader(nodes);
            log("leader " + leader);
            for (int i = 0; i < backends; i++) {
                servers.add(Backend.start(backendLoop));
            }
            sleep(10); // let start-up work (JIT, first snapshot) settle
            double[] idle = cpu(nodes, 10);
            log("idle cpu " + Arrays.toString(idle));

            long regStart = System.nanoTime();
            register(nodes, servers, instances);
            log("registered " + instances + " in " + ms(regStart) + " ms");
            awaitHealthy(nodes.get(0), instances, 120);
            log("all healthy " + ms(regStart) + " ms after the first registration");

            sleep(10); // steady state: every check has settled into its schedule
            long req0 = servers.stream().mapToLong(s -> s.requests.get()).sum();
            long t0 = System.nanoTime();
            double[] busy = cpu(nodes, 30);
            double probesPerSec = (servers.stream().mapToLong(s -> s.requests.get()).sum() - req0) / ((System.nanoTime() - t0) / 1e9);
            log("steady cpu " + Arrays.toString(busy) + ", probes/s " + (long) probesPerSec);

            Watch watch = new Watch(nodes.get(0).channel());
            watch.awaitSnapshot();
            Map<String, Double> allUp = detection(watch, servers.get(0), instances, servers.size(), null, nodes);
            servers.get(0).restart();
            awaitHealthy(nodes.get(0), instances, 60);

            // the member owning the most of backend 1's instances is killed together with backend 1
            List<String> live = List.of("n1", "n2", "n3");
            Map<String, Integer> owners = new LinkedHashMap<>();
            for (int i = 1; i < instances; i += servers.size()) {
                owners.merge(Rendezvous.owner("bench/i-" + i, live).orElseThrow(), 1, Integer::sum);
            }
            String victim = owners.entrySet().stream().filter(e -> !e.getKey().equals("n1"))
                    .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            Node victimNode = nodes.stream().filter(n -> n.id.equals(victim)).findFirst().orElseThrow();
            Map<String, Double> ownerKilled = detection(watch, servers.get(1), instances, servers.size(), victimNode, nodes);
            watch.close();

            report.append(table(instances, backends, idle, busy, probesPerSec, allUp, ownerKilled, victim,
                    owners.get(victim), leader));
            System.out.println(report);
            if (out != null) {
                Files.writeString(out, report, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            nodes.forEach(Node::stop);
            servers.forEach(Backend::stop);
            backendLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Kills {@code backend} (and {@code alsoKill}, a member, at the same instant) and measures, for each
     * instance behind it, the time until the watcher sees it become UNHEALTHY.
     */
    private static Map<String, Double> detection(Watch watch, Backend backend, int instances, int backends, Node alsoKill,
                                                 List<Node> nodes) throws Exception {
        int index = backend.index;
        int expected = (instances - index + backends - 1) / backends;
        watch.reset();
        long killedWallMs = System.currentTimeMillis();
        long killed = System.nanoTime();
        if (alsoKill != null) {
            alsoKill.kill();
        }
        backend.stop();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(30L * INTERVAL_MS + 30_000);
        // only this backend's instances count: others may flap meanwhile
        while (watch.unhealthyAt.keySet().stream().filter(id -> Integer.parseInt(id.substring(2)) % backends == index).count() < expected
                && System.nanoTime() < deadline) {
            Thread.sleep(50); // a benchmark driver, not a test: polling the counter is fine
        }
        List<Double> lat = new ArrayList<>();
        watch.unhealthyAt.forEach((id, at) -> {
            if (Integer.parseInt(id.substring(2)) % backends == index) {
                lat.add((at - killed) / 1e6);
            }
        });
        lat.sort(Double::compare);
        List<Double> proposed = new ArrayList<>();
        watch.proposedAtMs.forEach((id, at) -> {
            if (Integer.parseInt(id.substring(2)) % backends == index) {
                proposed.add((double) (at - killedWallMs));
            }
        });
        proposed.sort(Double::compare);
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("proposed p50", pct(proposed, 0.50));
        r.put("proposed p99", pct(proposed, 0.99));
        r.put("seen", (double) lat.size());
        r.put("expected", (double) expected);
        r.put("p50", pct(lat, 0.50));
        r.put("p90", pct(lat, 0.90));
        r.put("p99", pct(lat, 0.99));
        r.put("max", lat.isEmpty() ? Double.NaN : lat.get(lat.size() - 1));
        log("detection (" + (alsoKill == null ? "all members up" : alsoKill.id + " killed") + "): " + r);
        return r;
    }

    private static double pct(List<Double> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static String table(int instances, int backends, double[] idle, double[] busy, double probesPerSec,
                                Map<String, Double> allUp, Map<String, Double> ownerKilled, String victim, int victimShare,
                                String leader) {
        StringBuilder b = new StringBuilder();
        b.append("\n### Run ").append(LocalDateTime.now().truncatedTo(ChronoUnit.MINUTES)).append(": ").append(instances).append(" instances, ").append(backends)
                .append(" HTTP backends, interval ").append(INTERVAL_MS).append(" ms, timeout ").append(TIMEOUT_MS)
                .append(" ms, rise 1, fall ").append(FALL).append("\n\n");
        b.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, shared with other builds (load average at the end: ")
                .append(loadAverage()).append("); nodes are ")
                .append("separate JVMs (-Xms512m -Xmx512m, heap pre-touched with transparent huge pages, SerialGC, 2 health threads); leader ").append(leader).append(".\n\n");
        b.append("| node | CPU idle cluster (% of one core) | CPU with ").append(instances).append(" checks (% of one core) |\n");
        b.append("|---|---:|---:|\n");
        for (int i = 0; i < idle.length - 1; i++) {
            b.append(String.format("| n%d | %.1f | %.1f |%n", i + 1, idle[i], busy[i]));
        }
        b.append(String.format("| driver JVM (HTTP backends, watcher) | %.1f | %.1f |%n", idle[idle.length - 1], busy[busy.length - 1]));
        b.append(String.format("%nProbe rate at the backends: %.0f requests/s (expected %.0f).%n%n", probesPerSec,
                instances * 1000.0 / INTERVAL_MS));
        b.append("| detection: backend killed -> | instances | owner proposed p50 / p99 ms | HEALTH_CHANGED at watcher p50 ms | p90 ms | p99 ms | max ms |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        row(b, "all members up", allUp);
        row(b, "owner " + victim + " (" + victimShare + " of them) SIGKILLed at the same moment", ownerKilled);
        return b.toString();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0]
                    + " " + Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[1];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void row(StringBuilder b, String what, Map<String, Double> r) {
        b.append(String.format("| %s | %.0f/%.0f | %.0f / %.0f | %.0f | %.0f | %.0f | %.0f |%n", what, r.get("seen"), r.get("expected"),
                r.get("proposed p50"), r.get("proposed p99"), r.get("p50"), r.get("p90"), r.get("p99"), r.get("max")));
    }

    private static void register(List<Node> nodes, List<Backend> servers, int instances) throws InterruptedException {
        Semaphore inFlight = new Semaphore(128);
        CountDownLatch done = new CountDownLatch(instances);
        AtomicLong failed = new AtomicLong();
        AtomicLong retried = new AtomicLong();
        for (int i = 0; i < instances; i++) {
            Backend backend = servers.get(i % servers.size());
            Instance in = Instance.newBuilder().setService("bench").setId("i-" + i).setHost("127.0.0.1").setPort(backend.port)
                    .setLeaseTtlMs(3_600_000)
                    .addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setPath("/health"))
                            .setIntervalMs(INTERVAL_MS).setTimeoutMs(TIMEOUT_MS).setRise(1).setFall(FALL))
                    .build();
            inFlight.acquire();
            send(nodes, i, in, 0, inFlight, done, failed, retried);
        }
        done.await(5, TimeUnit.MINUTES);
        if (retried.get() > 0) {
            log(retried.get() + " registrations retried (leader changes under load)");
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " registrations failed");
        }
    }

    /** Register is idempotent: a failed attempt is retried on the next node, up to 10 times. */
    private static void send(List<Node> nodes, int i, Instance in, int attempt, Semaphore inFlight, CountDownLatch done,
                             AtomicLong failed, AtomicLong retried) {
        RegistryGrpc.newStub(nodes.get((i + attempt) % nodes.size()).channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setInstance(in).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(RegisterResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (attempt < 10) {
                            retried.incrementAndGet();
                            send(nodes, i, in, attempt + 1, inFlight, done, failed, retried);
                            return;
                        }
                        log("registration of " + in.getId() + " failed: " + t);
                        failed.incrementAndGet();
                        inFlight.release();
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.release();
                        done.countDown();
                    }
                });
    }

    private static void awaitHealthy(Node node, int instances, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long nextReport = System.nanoTime();
        int healthy = 0;
        while (System.nanoTime() < deadline) {
            healthy = healthy(node);
            if (healthy == instances) {
                return;
            }
            if (System.nanoTime() >= nextReport) {
                // every node's own view: how many it sees healthy and how far it has applied
                StringBuilder b = new StringBuilder("converging:");
                for (Node n : NODES) {
                    try {
                        var r = list(n);
                        b.append(' ').append(n.id).append(" healthy ").append(healthyIn(r)).append(" rev ").append(r.getRevision()).append(';');
                    } catch (RuntimeException e) {
                        b.append(' ').append(n.id).append(' ').append(e.getMessage()).append(';');
                    }
                }
                log(b.toString());
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(200);
        }
        diagnose(node.base);
        throw new IllegalStateException("only " + healthy + " of " + instances + " healthy after " + seconds + " s");
    }

    private static io.muster.api.v1.ListServicesResponse list(Node node) {
        return RegistryGrpc.newBlockingStub(node.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .listServices(ListServicesRequest.newBuilder().setConsistency(Consistency.LOCAL).build());
    }

    private static int healthyIn(io.muster.api.v1.ListServicesResponse r) {
        return r.getServicesList().stream().filter(s -> s.getName().equals("bench")).mapToInt(s -> s.getHealthy()).sum();
    }

    private static int healthy(Node node) {
        return healthyIn(list(node));
    }

    /** Thread dumps and health metrics of every node, into {@code base}, for a run that did not converge. */
    private static void diagnose(Path base) {
        for (ProcessHandle p : ProcessHandle.current().children().toList()) {
            try {
                Path dump = base.resolve("jstack-" + p.pid() + ".txt");
                new ProcessBuilder("jstack", String.valueOf(p.pid())).redirectOutput(dump.toFile()).start().waitFor(30, TimeUnit.SECONDS);
                log("thread dump of " + p.pid() + " in " + dump);
            } catch (IOException | InterruptedException e) {
                log("no thread dump of " + p.pid() + ": " + e);
            }
        }
        for (Node n : NODES) {
            try {
                ProcessCluster.metricsText(n.metricsPort).lines().filter(l -> l.startsWith("muster_health")).forEach(l -> log(n.id + " " + l));
            } catch (IOException e) {
                log(n.id + ": no metrics: " + e);
            }
        }
    }

    private static String awaitLeader(List<Node> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            for (Node n : nodes) {
                try {
                    var r = ClusterGrpc.newBlockingStub(n.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
                            .leader(LeaderRequest.getDefaultInstance());
                    if (r.hasLeader()) {
                        return r.getLeader().getId();
                    }
                } catch (RuntimeException e) {
                    // not up yet
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no leader");
    }

    /** CPU of each node over {@code seconds}, in % of one core; the last entry is this driver JVM (backends, watcher). */
    private static double[] cpu(List<Node> nodes, int seconds) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] before = nodes.stream().mapToLong(Node::cpuTicks).toArray();
        long driverBefore = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        sleep(seconds);
        long wallNanos = System.nanoTime() - t0;
        double wallTicks = wallNanos / 1e9 * 100; // CLK_TCK = 100
        double[] out = new double[nodes.size() + 1];
        for (int i = 0; i < nodes.size(); i++) {
            out[i] = (nodes.get(i).cpuTicks() - before[i]) / wallTicks * 100;
        }
        out[nodes.size()] = (os.getProcessCpuTime() - driverBefore) * 100.0 / wallNanos;
        return out;
    }

    private static void sleep(int seconds) throws InterruptedException {
        Thread.sleep(seconds * 1000L);
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static void log(String s) {
        System.out.println("[bench] " + s);
    }

    /** One registry node in its own JVM. */
    private static final class Node {
        final String id;
        final String raft;
        final String grpc;
        final Path base;
        final int metricsPort = freePort();
        Process process;
        ManagedChannel channel;

        Node(String id, String raft, String grpc, Path base) {
            this.id = id;
            this.raft = raft;
            this.grpc = grpc;
            this.base = base;
        }

        String spec() {
            return id + "=" + raft + "/" + grpc;
        }

        void start(String peers) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Files.createDirectories(base.resolve("tmp"));
            process = new ProcessBuilder(java, "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-XX:+UseTransparentHugePages",
                    "-XX:+UseSerialGC",
                    "-Xlog:gc:file=" + base.resolve(id + "-gc.log"),
                    "-Djava.io.tmpdir=" + base.resolve("tmp"), "-Dsofa.middleware.log.disable=true",
                    "-Dcom.google.protobuf.use_unsafe_pre22_gencode=true",
                    "-cp", System.getProperty("java.class.path"), "io.muster.server.Main",
                    "--id", id, "--raft", raft, "--grpc", grpc, "--peers", peers,
                    "--data-dir", base.resolve(id).toString(), "--metrics-port", String.valueOf(metricsPort))
                    .redirectErrorStream(true)
                    .redirectOutput(base.resolve(id + ".log").toFile())
                    .start();
        }

        ManagedChannel channel() {
            if (channel == null) {
                channel = NettyChannelBuilder.forTarget(grpc).usePlaintext().build();
            }
            return channel;
        }

        /** utime + stime of the process, in clock ticks. */
        long cpuTicks() {
            try {
                String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }

        void kill() {
            process.destroyForcibly();
        }

        void stop() {
            if (channel != null) {
                channel.shutdownNow();
            }
            if (process != null) {
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                }
            }
        }
    }

    /** A minimal keep-alive HTTP/1.1 server (Netty) answering 200 to everything; can be killed and restarted. */
    private static final class Backend {
        private static int count;
        final int index;
        final EventLoopGroup loop;
        final AtomicLong requests = new AtomicLong();
        final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        int port;
        Channel server;

        private Backend(EventLoopGroup loop) {
            this.loop = loop;
            this.index = count++;
        }

        static Backend start(EventLoopGroup loop) throws InterruptedException {
            Backend b = new Backend(loop);
            b.bind(0);
            return b;
        }

        void bind(int p) throws InterruptedException {
            server = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ch.pipeline().addLast(new Responder(requests));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", p)).sync().channel();
            port = ((InetSocketAddress) server.localAddress()).getPort();
        }

        /** Gone: listener closed and every open connection dropped. */
        void stop() {
            if (server != null) {
                server.close().syncUninterruptibly();
                connections.close().syncUninterruptibly();
                server = null;
            }
        }

        void restart() throws InterruptedException {
            stop();
            bind(port);
        }
    }

    /**
     * The backends share the machine with the nodes, so they do as little as possible: no HTTP
     * parsing, a request is counted at its blank line ({@code \r\n\r\n}; health checks send no body)
     * and answered with one fixed, pre-encoded keep-alive 200.
     */
    private static final class Responder extends ChannelInboundHandlerAdapter {
        private static final ByteBuf OK = Unpooled.unreleasableBuffer(Unpooled.directBuffer()
                .writeBytes("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        private final AtomicLong requests;
        private int matched; // bytes of "\r\n\r\n" seen so far

        Responder(AtomicLong requests) {
            this.requests = requests;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            int answered = 0;
            try {
                for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
                    byte c = in.getByte(i);
                    matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (c == '\r' ? 1 : 0);
                    if (matched == 4) {
                        matched = 0;
                        answered++;
                        ctx.write(OK.duplicate());
                    }
                }
            } finally {
                in.release();
            }
            if (answered > 0) {
                requests.addAndGet(answered);
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a node killed mid-run resets its connections: expected, not worth a stack trace
        }
    }

    /** A watch on the bench service that records when each instance was first seen UNHEALTHY. */
    private static final class Watch {
        final Map<String, Long> unhealthyAt = new ConcurrentHashMap<>();
        /** Wall-clock ms at which the owner proposed the transition (the event's health_changed_at_ms). */
        final Map<String, Long> proposedAtMs = new ConcurrentHashMap<>();
        final CountDownLatch snapshot = new CountDownLatch(1);
        private ClientCallStreamObserver<WatchRequest> call;
        private volatile boolean recording;

        Watch(ManagedChannel ch) {
            RegistryGrpc.newStub(ch).watch(WatchRequest.newBuilder().addServices("bench").build(),
                    new ClientResponseObserver<WatchRequest, WatchResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<WatchRequest> s) {
                            call = s;
                        }

                        @Override
                        public void onNext(WatchResponse r) {
                            long now = System.nanoTime();
                            if (r.getSnapshotComplete()) {
                                snapshot.countDown();
                            }
                            if (!recording) {
                                return;
                            }
                            r.getEventsList().stream()
                                    .filter(e -> e.getType() == EventType.HEALTH_CHANGED && e.getInstance().getHealth() == HealthStatus.UNHEALTHY)
                                    .forEach(e -> {
                                        unhealthyAt.putIfAbsent(e.getInstance().getId(), now);
                                        proposedAtMs.putIfAbsent(e.getInstance().getId(), e.getInstance().getHealthChangedAtMs());
                                    });
                        }

                        @Override
                        public void onError(Throwable t) {
                            log("watch failed: " + t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        }

        void awaitSnapshot() throws InterruptedException {
            snapshot.await(60, TimeUnit.SECONDS);
        }

        void reset() {
            unhealthyAt.clear();
            proposedAtMs.clear();
            recording = true;
        }

        void close() {
            call.cancel("done", null);
        }
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
