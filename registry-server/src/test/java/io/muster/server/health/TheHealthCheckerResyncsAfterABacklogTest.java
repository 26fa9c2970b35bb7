package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.TtlCheck;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ProposeResponse;
import io.muster.internal.v1.RegisterCmd;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The review's missing test (issue 18): when the health checker's control context falls more than
 * {@link HealthChecker#MAX_PENDING_EVENTS} catalog events behind, the apply thread stops queuing
 * events and the checker re-reads the catalog once instead; what it then tracks and owns is the
 * catalog's state, including changes made while it was behind. Time stands still (fake scheduler),
 * which holds the control context, so the backlog is exact.
 */
@UnitTest
class TheHealthCheckerResyncsAfterABacklogTest {

    private final FakeTime time = new FakeTime();
    private final Catalog catalog = new Catalog();
    private final MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HealthRuntime runtime = new HealthRuntime(time.scheduler(), time.scheduler(), loops, time.ticker(), time.clock(),
            new Random(1), StallMonitor.none());
    private final Probers probers = new Probers("fake", runtime, Plugins.of());
    private final PeerChannels peers = new PeerChannels("n1",
            new PeerDirectory(catalog, List.of(new PeerSpec("n1", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"))), Runnable::run);

    @AfterEach
    void stop() {
        probers.close();
        peers.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static Instance withTtlCheck(String id, int port) {
        return Instance.newBuilder().setService("svc").setId(id).setHost("127.0.0.1").setPort(port).setLeaseTtlMs(3_600_000)
                .addChecks(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs(600_000))).build();
    }

    private void register(Instance in) {
        catalog.apply(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(in)).setNowMs(time.clock().millis()).build());
    }

    @Test
    void aBacklogBeyondTheBoundIsReplacedByOneReReadOfTheCatalog() {
        HealthChecker checker = new HealthChecker(HealthChecker.Options.defaults("n1", 2), runtime, probers, catalog,
                cmd -> new CompletableFuture<ProposeResponse>(), () -> List.of(Member.newBuilder().setId("n1").build()), peers);
        catalog.addListener(checker);
        time.runDueTasks();
        register(withTtlCheck("a", 9000));
        time.runDueTasks();
        assertThat(checker.ownedInstances()).containsExactly(new InstanceKey("default", "svc", "a"));

        // the control context stands still while more events than the bound arrive: re-registrations
        // of b, then a deregistered, c registered, all behind the backlog
        for (int n = 0; n <= HealthChecker.MAX_PENDING_EVENTS; n++) {
            register(withTtlCheck("b", 10_000 + n % 50_000));
        }
        catalog.apply(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("svc").setInstanceId("a")).build());
        register(withTtlCheck("c", 9002));
        assertThat(checker.stats().resyncs()).isZero();

        time.runDueTasks();
        assertThat(checker.stats().resyncs()).as("one re-read, not one per event past the bound").isEqualTo(1);
        assertThat(checker.ownedInstances()).containsExactlyInAnyOrder(new InstanceKey("default", "svc", "b"), new InstanceKey("default", "svc", "c"));

        // and events after the re-read are followed again one by one
        catalog.apply(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("svc").setInstanceId("b")).build());
        time.runDueTasks();
        assertThat(checker.ownedInstances()).containsExactly(new InstanceKey("default", "svc", "c"));
        assertThat(checker.stats().resyncs()).isEqualTo(1);
    }
}
