package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import io.muster.server.health.probe.Plugins;
import io.muster.server.health.probe.Probers;
import io.muster.testkit.ClusterTest;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A check whose target never answers (a plugin that hangs), probed every 200 ms with a 100 ms
 * timeout and fall 2: timeouts while the member itself was stalled do not count, at most {@code fall}
 * of them in a row; without a stall the second timeout makes the instance unhealthy.
 */
@ClusterTest
class TimeoutsDuringOwnStallTest {

    /** Never answers. */
    private static final class HangingPlugin implements HealthCheckPlugin {
        @Override
        public String type() {
            return "hang";
        }

        @Override
        public CompletionStage<ProbeResult> probe(ProbeTarget target) {
            return new CompletableFuture<>();
        }
    }

    /** A proposal as the owner made it, with the counters at that moment. */
    private record Proposed(Command command, long probes, long excused) {
    }

    private final ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2);
    private final ExecutorService blocking = Executors.newFixedThreadPool(1);
    private final MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private HealthRuntime runtime;
    private Probers probers;
    private final HealthStats stats = new HealthStats();
    private final List<Proposed> proposals = new CopyOnWriteArrayList<>();
    private OwnedInstance owned;

    @AfterEach
    void stop() {
        if (owned != null) {
            owned.close();
        }
        if (probers != null) {
            probers.close();
        }
        pool.shutdownNow();
        blocking.shutdownNow();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static Instance hangingInstance() {
        return Instance.newBuilder().setService("svc").setId("i1").setHost("127.0.0.1").setPort(9)
                .setCreateRevision(5).setModRevision(5).setHealth(HealthStatus.HEALTHY)
                .addChecks(HealthCheck.newBuilder().setName("hang").setCustom(CustomCheck.newBuilder().setType("hang"))
                        .setIntervalMs(200).setTimeoutMs(100).setRise(1).setFall(2))
                .build();
    }

    private void own(StallMonitor stalls) {
        Instance in = hangingInstance();
        // first probes at once: a random source whose every draw is 0
        runtime = new HealthRuntime(pool, blocking, loops, System::nanoTime, Clock.systemUTC(), new Random() {
            @Override
            public long nextLong(long bound) {
                return 0;
            }
        }, stalls);
        probers = new Probers("stall-test", runtime, Plugins.of(new HangingPlugin()));
        CheckEnv env = new CheckEnv("n1", runtime, probers, cmd -> {
            proposals.add(new Proposed(cmd, stats.probes.sum(), stats.timeoutsExcused.sum()));
            return CompletableFuture.completedFuture(ProposeResponse.newBuilder().setChanged(true).setRevision(6)
                    .setInstance(in.toBuilder().setHealth(cmd.getSetHealth().getHealth()).setModRevision(6)).build());
        }, stats);
        owned = new OwnedInstance(env, in);
        owned.start();
    }

    @Test
    void withoutAStallTheSecondTimeoutMakesTheInstanceUnhealthy() {
        own(StallMonitor.none());
        await().atMost(Duration.ofSeconds(10)).until(() -> !proposals.isEmpty());
        Proposed p = proposals.get(0);
        assertThat(p.command().getSetHealth().getHealth()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(p.command().getSetHealth().getReason()).isEqualTo("timeout after 100ms");
        assertThat(p.probes()).isBetween(2L, 3L); // the third may have started by then
        assertThat(p.excused()).isZero();
    }

    @Test
    void timeoutsDuringAStallOfThisMemberDoNotCountButOnlyFallOfThemInARow() {
        long now = System.nanoTime();
        StallMonitor stalls = StallMonitor.manual(Duration.ofMillis(10), Duration.ofMillis(50), System::nanoTime);
        stalls.observe(now, now + TimeUnit.SECONDS.toNanos(60)); // stalled through the whole test
        own(stalls);
        await().atMost(Duration.ofSeconds(20)).until(() -> !proposals.isEmpty());
        Proposed p = proposals.get(0);
        assertThat(p.command().getSetHealth().getHealth()).isEqualTo(HealthStatus.UNHEALTHY);
        // excused, excused, counted (1 of fall 2), excused, excused, counted: unhealthy at the sixth
        assertThat(p.excused()).isEqualTo(4);
        assertThat(p.probes()).isBetween(6L, 7L);
    }
}
