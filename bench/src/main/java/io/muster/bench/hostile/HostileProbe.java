package io.muster.bench.hostile;

import io.muster.api.HostPorts;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.InternalGrpc;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.RawCalls;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replays, against a 3-member cluster of separate JVMs started like {@code deploy/local/run.sh}
 * does, every attack and bad input of the hostile-request issue, and prints the answer each gets,
 * as a Markdown table; then checks that every member still answers and that all agree on the
 * revision. Run: {@code mvn -q -pl bench -am package -DskipTests && java -cp "bench/target/classes:$(cat
 * bench/target/classpath.txt)" io.muster.bench.hostile.HostileProbe}.
 *
 * <p>Answers are what a client sees: "OK" plus a short summary, or the gRPC status and message.
 */
public final class HostileProbe {

    private static final Random RANDOM = new Random(42);
    private final Map<String, String> answers = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("muster-hostile-probe");
        try (ProcessCluster cluster = ProcessCluster.builder(work).size(3).jvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC")).start()) {
            new HostileProbe().run(cluster);
        }
    }

    private void run(ProcessCluster cluster) throws Exception {
        ProcessCluster.Member leader = cluster.awaitLeader(Duration.ofSeconds(60));
        ProcessCluster.Member follower = cluster.members().stream().filter(n -> n != leader).findFirst().orElseThrow();
        ManagedChannel pub = channel(follower.grpcAddress());
        ManagedChannel peer = channel(follower.peerAddress());
        RegistryGrpc.RegistryBlockingStub registry = RegistryGrpc.newBlockingStub(pub);
        RegisterResponse victim = registry.withDeadlineAfter(10, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
                .setInstance(Instance.newBuilder().setService("victim").setId("v1").setHost("127.0.0.1").setPort(8080)).build());

        Command badRegister = Command.newBuilder().setRegister(RegisterCmd.newBuilder()
                .setInstance(Instance.newBuilder().setHost("h").setPort(1))).setNowMs(1).build();
        for (var target : List.of(Map.entry("public", pub), Map.entry("peer", peer))) {
            String where = " on the " + target.getKey() + " port";
            InternalGrpc.InternalBlockingStub internal = InternalGrpc.newBlockingStub(target.getValue());
            probe("Internal/Propose Register with empty service and id" + where, () -> internal.withDeadlineAfter(5, TimeUnit.SECONDS).propose(badRegister));
            probe("Internal/Propose forged SetHealth UNHEALTHY of victim/v1" + where, () -> internal.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .propose(Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("victim").setInstanceId("v1")
                            .setHealth(HealthStatus.UNHEALTHY).setReason("forged")).setNowMs(1).build()));
            probe("Internal/Propose ExpireLease of victim's lease" + where, () -> internal.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .propose(Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(victim.getLeaseId())).setNowMs(1).build()));
            for (var bad : badInstances().entrySet()) {
                probe("Internal/Propose Register skipping validation: " + bad.getKey() + where, () -> internal.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .propose(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(bad.getValue())).setNowMs(1).build()));
            }
            probe("Internal/Propose SetMember pointing the leader at 127.0.0.1:1" + where, () -> internal.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .propose(Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(Member.newBuilder().setId(leader.id())
                            .setRaftAddress(leader.raftAddress()).setGrpcAddress("127.0.0.1:1").setPeerAddress("127.0.0.1:1"))).setNowMs(1).build()));
            probe("Internal/Propose with 4 KB of random bytes" + where, () -> rawUnary(target.getValue(), InternalGrpc.getProposeMethod().getFullMethodName(), randomBytes(4096)));
        }
        probe("Registry/Register with 4 KB of random bytes", () -> rawUnary(pub, RegistryGrpc.getRegisterMethod().getFullMethodName(), randomBytes(4096)));
        probe("Registry/Watch with 4 KB of random bytes", () -> rawUnary(pub, RegistryGrpc.getWatchMethod().getFullMethodName(), randomBytes(4096)));
        for (var bad : badInstances().entrySet()) {
            probe("Registry/Register: " + bad.getKey(), () -> registry.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .register(RegisterRequest.newBuilder().setInstance(bad.getValue()).build()));
        }
        Instance.Builder fullMetadata = Instance.newBuilder().setService("meta").setId("m1").setHost("127.0.0.1").setPort(80);
        for (int i = 0; i < 64; i++) {
            fullMetadata.putMetadata(String.format("%0128d", i), "v".repeat(1024));
        }
        probe("Registry/Register with the documented maxima: 64 metadata entries of 128 + 1,024 chars",
                () -> registry.withDeadlineAfter(5, TimeUnit.SECONDS).register(RegisterRequest.newBuilder().setInstance(fullMetadata).build()));
        probe("Registry/Register with a check of an unknown plugin type", () -> registry.withDeadlineAfter(5, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("plug").setId("p1").setHost("127.0.0.1")
                        .setPort(80).addChecks(HealthCheck.newBuilder().setCustom(CustomCheck.newBuilder().setType("no-such-plugin")))).build()));
        probe("Registry/Register to a follower with a forged muster-forwarded-by header", () -> {
            Metadata h = new Metadata();
            h.put(Metadata.Key.of("muster-forwarded-by", Metadata.ASCII_STRING_MARSHALLER), leader.id());
            return registry.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("forged").setId("f1")
                            .setHost("127.0.0.1").setPort(80)).build());
        });
        probe("Registry/Discover with 100,000 tag filters", () -> {
            DiscoverRequest.Builder d = DiscoverRequest.newBuilder().setService("victim");
            for (int i = 0; i < 100_000; i++) {
                d.addTags("t" + i);
            }
            return registry.withDeadlineAfter(10, TimeUnit.SECONDS).discover(d.build());
        });
        probe("Registry/Watch of 100,000 services", () -> {
            WatchRequest.Builder w = WatchRequest.newBuilder();
            for (int i = 0; i < 100_000; i++) {
                w.addServices("s" + i);
            }
            return firstWatchAnswer(pub, w.build());
        });
        probe("Registry/Register with a 5 MB message", () -> registry.withDeadlineAfter(10, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("big").setHost("127.0.0.1")
                        .setPort(80).putMetadata("k", "x".repeat(5 * 1024 * 1024))).build()));
        probe("Registry/KeepAlive: lease 0, then the victim's lease, on one stream", () -> keepAliveWithLeaseZero(pub, victim.getLeaseId()));
        probe("10,000 Watch streams on one connection", () -> manyWatches(follower.grpcAddress(), 10_000));
        for (var port : List.of(Map.entry("raft", follower.raftAddress()), Map.entry("grpc", follower.grpcAddress()),
                Map.entry("peer", follower.peerAddress()), Map.entry("metrics", "127.0.0.1:" + follower.metricsPort()))) {
            probe("TCP connect to 127.0.0.2 on the " + port.getKey() + " port (bound to 127.0.0.1)", () -> connect("127.0.0.2", port.getValue()));
        }

        // afterwards: everyone alive and agreeing
        Thread.sleep(1500); // let the last applied entries reach every member (a bench, not a test)
        List<String> revisions = new ArrayList<>();
        for (ProcessCluster.Member n : cluster.members()) {
            ManagedChannel ch = channel(n.grpcAddress());
            try {
                var r = RegistryGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .listServices(ListServicesRequest.newBuilder().setConsistency(Consistency.LINEARIZABLE).build());
                var local = RegistryGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .discover(DiscoverRequest.newBuilder().setService("victim").setConsistency(Consistency.LOCAL).build());
                revisions.add(n.id() + " alive, revision " + r.getRevision() + ", victim " + local.getInstances(0).getHealth()
                        + " (" + local.getInstances(0).getHealthReason() + ")");
            } catch (RuntimeException e) {
                revisions.add(n.id() + " " + describe(e));
            } finally {
                ch.shutdownNow();
            }
        }
        System.out.println("| attack or bad input | answer |");
        System.out.println("|---|---|");
        answers.forEach((k, v) -> System.out.println("| " + k + " | " + v.replace("|", "\\|").replace("\n", " ") + " |"));
        System.out.println();
        revisions.forEach(r -> System.out.println("- " + r));
        pub.shutdownNow();
        peer.shutdownNow();
    }

    private static Map<String, Instance> badInstances() {
        Instance ok = Instance.newBuilder().setService("bad").setId("b1").setHost("127.0.0.1").setPort(80).build();
        Map<String, Instance> out = new LinkedHashMap<>();
        out.put("invalid name 'Bad_Name'", ok.toBuilder().setService("Bad_Name").build());
        out.put("port 0", ok.toBuilder().setPort(0).build());
        out.put("1 MB metadata", ok.toBuilder().putMetadata("k", "x".repeat(1024 * 1024)).build());
        out.put("negative TTL", ok.toBuilder().setLeaseTtlMs(-5).build());
        out.put("weight 10^6", ok.toBuilder().setWeight(1_000_000).build());
        out.put("weight 2^32-1", ok.toBuilder().setWeight(-1).build());
        out.put("TTL 2^61 ms", ok.toBuilder().setLeaseTtlMs(1L << 61).build());
        return out;
    }

    private void probe(String what, Callable<Object> call) {
        String answer;
        try {
            Object r = call.call();
            String s = String.valueOf(r).replaceAll("\\s+", " ").trim();
            answer = "OK" + (s.isEmpty() ? "" : ": " + (s.length() > 160 ? s.substring(0, 160) + "…" : s));
        } catch (Exception e) {
            answer = describe(e);
        }
        answers.put(what, answer);
        System.err.println(what + " -> " + answer);
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof StatusRuntimeException)) {
            t = t.getCause();
        }
        if (t instanceof StatusRuntimeException s) {
            String d = s.getStatus().getDescription();
            if (d != null && d.length() > 200) {
                d = d.substring(0, 200) + "…";
            }
            return s.getStatus().getCode() + (d == null ? "" : ": " + d);
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static ManagedChannel channel(String target) {
        return NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Object rawUnary(ManagedChannel ch, String fullMethod, byte[] body) {
        ClientCall<byte[], byte[]> call = ch.newCall(RawCalls.rawUnary(fullMethod), CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
        byte[] r = ClientCalls.blockingUnaryCall(call, body);
        return r.length + " bytes";
    }

    private static Object firstWatchAnswer(ManagedChannel ch, WatchRequest request) throws Exception {
        CompletableFuture<Object> first = new CompletableFuture<>();
        RegistryGrpc.newStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).watch(request, new StreamObserver<>() {
            @Override
            public void onNext(WatchResponse value) {
                first.complete("stream opened, first message " + value.getKind());
            }

            @Override
            public void onError(Throwable t) {
                first.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                first.complete("completed");
            }
        });
        return first.get(15, TimeUnit.SECONDS);
    }

    private static Object keepAliveWithLeaseZero(ManagedChannel ch, long leaseId) throws Exception {
        List<String> seen = new ArrayList<>();
        CompletableFuture<Object> done = new CompletableFuture<>();
        StreamObserver<KeepAliveRequest> up = RegistryGrpc.newStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).keepAlive(new StreamObserver<>() {
            @Override
            public synchronized void onNext(KeepAliveResponse r) {
                seen.add("lease " + r.getLeaseId() + " found=" + r.getFound() + " ttl=" + r.getTtlMs());
                if (r.getLeaseId() == leaseId) {
                    done.complete(String.join("; ", seen));
                }
            }

            @Override
            public synchronized void onError(Throwable t) {
                done.completeExceptionally(new IllegalStateException("stream ended after " + seen + ": " + describe(t), t));
            }

            @Override
            public void onCompleted() {
                done.complete("completed after " + seen);
            }
        });
        up.onNext(KeepAliveRequest.newBuilder().setLeaseId(0).build());
        up.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
        try {
            return done.get(15, TimeUnit.SECONDS);
        } finally {
            up.onCompleted();
        }
    }

    /** Opens {@code n} watch streams on one new connection; counts first answers by kind, then cancels them all. */
    private static Object manyWatches(String target, int n) throws Exception {
        ManagedChannel ch = channel(target);
        Map<String, AtomicInteger> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger answered = new AtomicInteger();
        List<io.grpc.Context.CancellableContext> contexts = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                io.grpc.Context.CancellableContext ctx = io.grpc.Context.ROOT.withCancellation();
                contexts.add(ctx);
                ctx.run(() -> RegistryGrpc.newStub(ch).watch(WatchRequest.newBuilder().addServices("victim").build(), new StreamObserver<>() {
                    private boolean first = true;

                    @Override
                    public void onNext(WatchResponse value) {
                        if (first) {
                            first = false;
                            outcomes.computeIfAbsent("streaming", k -> new AtomicInteger()).incrementAndGet();
                            answered.incrementAndGet();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (first) {
                            first = false;
                            Status st = Status.fromThrowable(t);
                            String d = st.getDescription() == null ? "" : ": " + st.getDescription().replaceAll("[0-9]+", "N");
                            outcomes.computeIfAbsent(st.getCode() + d, k -> new AtomicInteger()).incrementAndGet();
                            answered.incrementAndGet();
                        }
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (answered.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Map<String, Integer> summary = new java.util.TreeMap<>();
            outcomes.forEach((k, v) -> summary.put(k, v.get()));
            if (answered.get() < n) {
                summary.put("no answer within 30 s", n - answered.get());
            }
            return summary;
        } finally {
            contexts.forEach(c -> c.cancel(null));
            ch.shutdownNow();
        }
    }

    private static Object connect(String host, String hostPort) {
        int port = HostPorts.parse("target", hostPort).getPort();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return "connected (listener is reachable on " + host + ")";
        } catch (ConnectException e) {
            return "refused (" + e.getMessage() + ")";
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
