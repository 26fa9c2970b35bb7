package io.muster.server.health;

import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens a {@link Probe} for each probed check kind. Every probe is bounded by the check's timeout:
 * whatever the prober (or a plugin) does, the result is a "timeout after ..." failure at the latest
 * when the timeout has passed (built-in probers of IP-literal targets bound themselves, which saves
 * a timer per probe).
 */
final class Probers implements AutoCloseable {

    /** Probes due within this much of each other run in one wake-up of their thread. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ScheduledExecutorService timer;
    private final EventLoopGroup io;
    private final Map<EventExecutor, ProbeScheduler> loopSchedulers = new IdentityHashMap<>();
    private final ProbeScheduler poolScheduler;
    private final HttpProber http;
    private final TcpProber tcp;
    private final GrpcProber grpc;
    private final Plugins plugins;

    /**
     * @param ioThreads event loop threads driving every HTTP and TCP probe of the member
     * @param blocking  runs blocking work (DNS resolution of host names)
     */
    Probers(String threadPrefix, int ioThreads, ScheduledExecutorService timer, Executor blocking, Plugins plugins) {
        this.timer = timer;
        this.io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(threadPrefix + "-nio", true),
                NioIoHandler.newFactory());
        Addresses addresses = new Addresses(blocking);
        this.http = new HttpProber(io, addresses);
        this.tcp = new TcpProber(io, addresses);
        this.grpc = new GrpcProber();
        this.plugins = plugins;
        for (EventExecutor loop : io) {
            loopSchedulers.put(loop, new ProbeScheduler(threadPrefix + "-nio", loop, TICK_NANOS, System::nanoTime));
        }
        this.poolScheduler = new ProbeScheduler(threadPrefix, timer, TICK_NANOS, System::nanoTime);
    }

    /** Types of the custom-check plugins this member has, sorted. */
    SortedSet<String> pluginTypes() {
        return plugins.types();
    }

    /** Where {@code probe} is scheduled: on its event loop if it has one, else on the health pool. */
    ProbeScheduler scheduler(Probe probe) {
        EventLoop loop = probe.eventLoop();
        ProbeScheduler s = loop == null ? null : loopSchedulers.get(loop);
        return s != null ? s : poolScheduler;
    }

    /** Wake-ups of the probe schedulers so far. */
    long rounds() {
        return poolScheduler.rounds() + loopSchedulers.values().stream().mapToLong(ProbeScheduler::rounds).sum();
    }

    /** Opens the probe of a non-TTL check of {@code instance}. */
    Probe open(Instance instance, HealthCheck check) {
        Duration timeout = Duration.ofMillis(check.getTimeoutMs());
        String host = instance.getHost();
        Probe probe = switch (check.getKindCase()) {
            case HTTP -> http.open(host, portOr(check.getHttp().getPort(), instance), check.getHttp(), timeout);
            case TCP -> tcp.open(host, portOr(check.getTcp().getPort(), instance), timeout);
            case GRPC -> grpc.open(host, portOr(check.getGrpc().getPort(), instance), check.getGrpc().getService(), timeout);
            case CUSTOM -> plugins.open(new ProbeTarget(instance.getService(), instance.getId(), host, instance.getPort(),
                    check.getCustom().getConfigMap(), timeout), check.getCustom().getType());
            default -> throw new IllegalArgumentException("check '" + check.getName() + "' is not probed: " + check.getKindCase());
        };
        // built-in probers enforce their own deadline (connect timeout, request timer, gRPC deadline);
        // a plugin, or DNS resolution of a host name, gets the outer bound as well
        boolean selfBounded = check.getKindCase() != HealthCheck.KindCase.CUSTOM
                && NetUtil.createByteArrayFromIpAddressString(host.replace("[", "").replace("]", "")) != null;
        return selfBounded ? probe : bounded(probe, timeout.toMillis());
    }

    private static int portOr(int port, Instance instance) {
        return port == 0 ? instance.getPort() : port;
    }

    private Probe bounded(Probe probe, long timeoutMs) {
        ProbeResult timedOut = ProbeResult.timeout(timeoutMs);
        return new Probe() {
            @Override
            public CompletableFuture<ProbeResult> run() {
                CompletableFuture<ProbeResult> out = new CompletableFuture<>();
                CompletableFuture<ProbeResult> inner;
                try {
                    inner = probe.run();
                } catch (RuntimeException e) {
                    out.complete(ProbeResult.fail("probe failed: " + Failures.describe(e)));
                    return out;
                }
                if (inner.isDone()) {
                    return inner.handle((r, e) -> e == null ? r : ProbeResult.fail("probe failed: " + Failures.describe(Failures.unwrap(e))));
                }
                ScheduledFuture<?> deadline = timer.schedule(() -> out.complete(timedOut), timeoutMs, TimeUnit.MILLISECONDS);
                inner.whenComplete((r, e) -> {
                    deadline.cancel(false);
                    out.complete(e == null ? r : ProbeResult.fail("probe failed: " + Failures.describe(Failures.unwrap(e))));
                });
                return out;
            }

            @Override
            public io.netty.channel.EventLoop eventLoop() {
                return probe.eventLoop();
            }

            @Override
            public void close() {
                probe.close();
            }
        };
    }

    int grpcChannels() {
        return grpc.openChannels();
    }

    @Override
    public void close() {
        grpc.close();
        http.close();
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        plugins.close();
    }
}
