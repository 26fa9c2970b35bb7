package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.TtlCheck;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.config.PeerSpec;
import io.muster.server.health.probe.Plugins;
import io.muster.server.health.probe.Probers;
import io.muster.server.peer.PeerChannels;
import io.muster.server.peer.PeerDirectory;
import io.muster.server.testing.FakeTime;
import io.muster.testkit.UnitTest;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole checker of a one-member cluster (liveness, ownership, probe rounds, probe timeouts, TTL
 * timers, proposals and their bound) on a fake clock and a scheduler that runs only when the test
 * moves time: each transition is proposed at exactly the instant the rules say, to the millisecond.
 * With the checker's own pools and {@code System.nanoTime} these instants could only be awaited
 * with slack. Time standing still also holds the control context, which shows its bound on TTL
 * reports exactly.
 */
@UnitTest
class CheckTimingOnAFakeClockTest {

    private static final Duration MS = Duration.ofMillis(1);

    /** A plug-in check whose target never answers. */
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

    /** A proposal as the proposer saw it, and when. */
    private record Proposed(Duration at, HealthStatus health, String reason) {
    }

    private final FakeTime time = new FakeTime();
    private final Catalog catalog = new Catalog();
    // never started: no HTTP or TCP check here, so no task ever reaches these loops
    private final MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HealthRuntime runtime = new HealthRuntime(time.scheduler(), time.scheduler(), loops, time.ticker(), time.clock(),
            new Random() {
                @Override
                public long nextLong(long bound) {
                    return 0; // every check probes first at once
                }
            }, StallMonitor.none());
    private final Probers probers = new Probers("fake", runtime, Plugins.of(new HangingPlugin()));
    private final List<Proposed> proposals = new ArrayList<>();
    /** Proposals that are never answered, from the first one on. */
    private int unanswered;
    private PeerChannels peers;
    private HealthChecker checker;

    @BeforeEach
    void start() {
        PeerSpec self = new PeerSpec("n1", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
        peers = new PeerChannels("n1", new PeerDirectory(catalog, List.of(self)), Runnable::run);
        checker = new HealthChecker(HealthChecker.Options.defaults("n1", 2), runtime, probers, catalog, this::propose,
                () -> List.of(Member.newBuilder().setId("n1").build()), peers);
        catalog.addListener(checker);
        time.runDueTasks(); // the first liveness round: this member alone is alive
        assertThat(checker.liveMembers()).containsExactly("n1");
    }

    @AfterEach
    void stop() {
        probers.close();
        peers.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private CompletableFuture<ProposeResponse> propose(Command cmd) {
        proposals.add(new Proposed(time.elapsed(), cmd.getSetHealth().getHealth(), cmd.getSetHealth().getReason()));
        if (unanswered > 0) {
            unanswered--;
            return new CompletableFuture<>();
        }
        ApplyResult r = catalog.apply(cmd);
        ProposeResponse.Builder b = ProposeResponse.newBuilder().setRevision(r.revision()).setChanged(r.changed());
        if (r.instance() != null) {
            b.setInstance(r.instance());
        }
        return CompletableFuture.completedFuture(b.build());
    }

    private void register(HealthCheck.Builder check) {
        Instance in = Instance.newBuilder().setService("svc").setId("i1").setHost("127.0.0.1").setPort(9000).setLeaseTtlMs(3_600_000)
                .addChecks(check).build();
        ApplyResult r = catalog.apply(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(in))
                .setNowMs(time.clock().millis()).build());
        assertThat(r.isRejected()).as("registered: %s", r.rejection()).isFalse();
        time.runDueTasks();
        assertThat(checker.ownedInstances()).containsExactly(new InstanceKey("default", "svc", "i1"));
    }

    private CompletableFuture<UpdateHealthResponse> report(CheckResult result) {
        CompletableFuture<UpdateHealthResponse> answer = checker.updateHealth(UpdateHealthRequest.newBuilder().setService("svc").setInstanceId("i1")
                .setReport(CheckReport.newBuilder().setResult(result)).build(), false);
        time.runDueTasks();
        return answer;
    }

    private HealthStatus health() {
        return catalog.read(v -> v.instance(new InstanceKey("default", "svc", "i1"))).getHealth();
    }

    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    @Test
    void aTargetThatNeverAnswersIsUnhealthyExactlyAtTheTimeoutOfItsFallthProbe() {
        // probes at 0, 1000 and 2000 ms, each timing out 300 ms later; fall 3
        register(HealthCheck.newBuilder().setName("hang").setCustom(CustomCheck.newBuilder().setType("hang"))
                .setIntervalMs(1000).setTimeoutMs(300).setRise(1).setFall(3));
        time.forward(ms(2299));
        assertThat(proposals).isEmpty();
        assertThat(checker.stats().probes()).isEqualTo(3);
        assertThat(checker.stats().probeFailures()).isEqualTo(2);
        time.forward(MS);
        assertThat(proposals).containsExactly(new Proposed(ms(2300), HealthStatus.UNHEALTHY, "timeout after 300ms"));
        assertThat(health()).isEqualTo(HealthStatus.UNHEALTHY);
        // no probe ever ran early or twice: one per second
        time.forward(ms(10_000 - 2300));
        assertThat(checker.stats().probes()).isEqualTo(11);
    }

    @Test
    void aTtlDeadlineMovedByAReportExpiresOneTtlAfterThatReport() {
        register(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs(5000))
                .setIntervalMs(5000).setTimeoutMs(2000));
        assertThat(report(CheckResult.PASS)).isCompleted();
        assertThat(health()).isEqualTo(HealthStatus.HEALTHY);
        time.forward(ms(4000));
        assertThat(report(CheckResult.PASS)).isCompleted();
        // the timer armed for 5000 ms finds the deadline moved to 9000 ms and waits again
        time.forward(ms(4999));
        assertThat(proposals).containsExactly(new Proposed(Duration.ZERO, HealthStatus.HEALTHY, "reported pass"));
        time.forward(MS);
        assertThat(proposals).last().isEqualTo(new Proposed(ms(9000), HealthStatus.UNHEALTHY, "TTL expired: no report in 5000ms"));
        assertThat(health()).isEqualTo(HealthStatus.UNHEALTHY);
    }

    @Test
    void aTransitionNeverAnsweredIsGivenUpAfterTheProposalTimeoutAndProposedAgainASecondLater() {
        register(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs(600_000))
                .setIntervalMs(5000).setTimeoutMs(2000));
        unanswered = 1;
        CompletableFuture<UpdateHealthResponse> answer = report(CheckResult.FAIL);
        assertThat(proposals).containsExactly(new Proposed(Duration.ZERO, HealthStatus.UNHEALTHY, "reported fail"));
        // the proposal timeout (5 s) bounds the proposer's retries; one more second bounds the whole call
        time.forward(ms(5999));
        assertThat(answer).isNotDone();
        time.forward(MS);
        assertThat(answer).isCompletedExceptionally();
        assertThat(checker.stats().proposalFailures()).isEqualTo(1);
        // a TTL-only instance has no next probe to retry at: the retry timer proposes again
        time.forward(ms(999));
        assertThat(proposals).hasSize(1);
        time.forward(MS);
        assertThat(proposals).last().isEqualTo(new Proposed(ms(7000), HealthStatus.UNHEALTHY, "reported fail"));
        assertThat(health()).isEqualTo(HealthStatus.UNHEALTHY);
    }

    @Test
    void aReportFindingTheControlContextFullIsRefusedAndTheQueuedOnesAreServed() {
        register(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs(600_000))
                .setIntervalMs(5000).setTimeoutMs(2000));
        // time stands still, so nothing queued on the control context runs meanwhile
        List<CompletableFuture<UpdateHealthResponse>> queued = new ArrayList<>();
        for (int i = 0; i < ControlContext.MAX_PENDING_REPORTS; i++) {
            queued.add(checker.updateHealth(UpdateHealthRequest.newBuilder().setService("svc").setInstanceId("i1")
                    .setReport(CheckReport.newBuilder().setResult(CheckResult.PASS)).build(), false));
        }
        CompletableFuture<UpdateHealthResponse> refused = checker.updateHealth(UpdateHealthRequest.newBuilder().setService("svc")
                .setInstanceId("i1").setReport(CheckReport.newBuilder().setResult(CheckResult.PASS)).build(), false);
        assertThat(refused).failsWithin(Duration.ZERO).withThrowableThat()
                .withMessageContaining("UNAVAILABLE: member n1 has 10000+ health tasks waiting; retry");
        assertThat(checker.stats().reportsRefused()).isEqualTo(1);
        time.runDueTasks();
        assertThat(queued).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(checker.stats().reports()).isEqualTo(ControlContext.MAX_PENDING_REPORTS);
        assertThat(health()).isEqualTo(HealthStatus.HEALTHY);
    }
}
