package io.muster.server.health.probe;

import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.server.health.Failures;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.muster.server.health.ProbeTarget;
import io.muster.server.health.Probing;
import io.muster.server.health.HealthRuntime;
import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens a {@link Probe} for each probed check kind. Every probe is bounded by the check's timeout:
 * whatever the prober (or a plugin) does, the result is a "timeout after ..." failure at the latest
 * when the timeout has passed (built-in probers of IP-literal targets bound themselves, which saves
 * a timer per probe).
 *
 * <p>Runs on the {@link HealthRuntime} it is given (HTTP and TCP probes on its event loops, the
 * others and every timeout on its scheduler, DNS resolution on its blocking pool) and creates no
 * thread of its own; {@link #close} releases connections, channels and plug-ins, not the runtime.
 */
public final class Probers implements Probing {

    /** Probes due within this much of each other run in one wake-up of their thread. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ScheduledExecutorService timer;
    private final Map<EventExecutor, ProbeScheduler> loopSchedulers = new IdentityHashMap<>();
    private final ProbeScheduler poolScheduler;
    private final HttpProber http;
    private final TcpProber tcp;
    private final GrpcProber grpc;
    private final Plugins plugins;

    /**
     * @param name    names the schedulers in the log (e.g. {@code muster-n1-health})
     * @param plugins the custom-check plug-ins ({@link Plugins#load} or {@link Plugins#of}); closed by {@link #close}
     */
    public Probers(String name, HealthRuntime runtime, Plugins plugins) {
        this.timer = runtime.scheduler();
        Addresses addresses = new Addresses(runtime.blocking());
        this.http = new HttpProber(runtime.probeLoops(), addresses);
        this.tcp = new TcpProber(runtime.probeLoops(), addresses);
        this.grpc = new GrpcProber(runtime.probeLoops());
        this.plugins = plugins;
        for (EventExecutor loop : runtime.probeLoops()) {
            loopSchedulers.put(loop, new ProbeScheduler(name + "-nio", loop, TICK_NANOS, runtime.nanoTime()));
        }
        this.poolScheduler = new ProbeScheduler(name, timer, TICK_NANOS, runtime.nanoTime());
    }

    @Override
    public SortedSet<String> pluginTypes() {
        return plugins.types();
    }

    /** On the probe's event loop if it has one, else on the health pool. */
    @Override
    public Probing.Schedule scheduleAtFixedRate(Probe probe, Runnable task, long firstDelayNanos, long periodNanos) {
        return scheduler(probe).scheduleAtFixedRate(task, firstDelayNanos, periodNanos);
    }

    private ProbeScheduler scheduler(Probe probe) {
        EventLoop loop = probe.eventLoop();
        ProbeScheduler s = loop == null ? null : loopSchedulers.get(loop);
        return s != null ? s : poolScheduler;
    }

    /** Wake-ups of the probe schedulers so far. */
    long rounds() {
        return poolScheduler.rounds() + loopSchedulers.values().stream().mapToLong(ProbeScheduler::rounds).sum();
    }

    @Override
    public Probe open(Instance instance, HealthCheck check) {
        Duration timeout = Duration.ofMillis(check.getTimeoutMs());
        String host = instance.getHost();
        Probe probe = switch (check.getKindCase()) {
            case HTTP -> http.open(host, portOr(check.getHttp().getPort(), instance), check.getHttp(), timeout);
            case TCP -> tcp.open(host, portOr(check.getTcp().getPort(), instance), timeout);
            case GRPC -> grpc.open(host, portOr(check.getGrpc().getPort(), instance), check.getGrpc(), timeout);
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

    @Override
    public void close() {
        grpc.close();
        http.close();
        plugins.close();
    }
}
