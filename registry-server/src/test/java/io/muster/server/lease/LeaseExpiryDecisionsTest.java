package io.muster.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.internal.v1.RegisterCmd;
import io.muster.testkit.UnitTest;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lease decisions with a fake clock against a real catalog: keep-alives renew, expiry is proposed
 * once the deadline passes, a new leader refreshes every lease, and an instance whose health changed
 * still expires.
 */
@UnitTest
class LeaseExpiryDecisionsTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final Catalog catalog = new Catalog();
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    // proposals applied synchronously, as if committed at once
    final LeaseManager leases = new LeaseManager(cmd -> CompletableFuture.completedFuture(catalog.apply(cmd)),
            scheduler, now::get, Clock.systemUTC(), 3_600_000);

    LeaseExpiryDecisionsTest() {
        catalog.addListener(leases);
    }

    @AfterEach
    void stop() {
        leases.close();
        scheduler.shutdownNow();
    }

    ApplyResult register(String id, long ttlMs) {
        return catalog.apply(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(Instance.newBuilder()
                .setService("s").setId(id).setHost("h").setPort(1).setLeaseTtlMs(ttlMs))).build());
    }

    void advanceMs(long ms) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    void tick() {
        leases.expireDue();
    }

    boolean present(String id) {
        return catalog.read(v -> v.instances("default", "s")).stream().anyMatch(i -> i.getId().equals(id));
    }

    @Test
    void keptAliveLeaseSurvivesAndForgottenOneExpires() {
        leases.onLeaderStart(1);
        long kept = register("kept", 2000).instance().getLeaseId();
        register("forgotten", 2000);
        for (int i = 0; i < 5; i++) {
            advanceMs(1000);
            assertThat(leases.keepAlive(kept).found()).isTrue();
            tick();
        }
        assertThat(present("kept")).isTrue();
        assertThat(present("forgotten")).isFalse();
    }

    @Test
    void newLeaderGivesEveryLeaseAFreshTtl() {
        register("a", 2000);
        advanceMs(10_000); // long past the TTL while this node was a follower
        leases.onLeaderStart(2);
        tick();
        assertThat(present("a")).isTrue();
        advanceMs(2000);
        tick();
        assertThat(present("a")).isFalse();
    }

    @Test
    void instanceWhoseHealthChangedStillExpires() {
        leases.onLeaderStart(1);
        ApplyResult r = register("sick", 1000);
        catalog.apply(Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("s").setInstanceId("sick")
                .setHealth(HealthStatus.UNHEALTHY).setReason("HTTP 503").setCreateRevision(r.instance().getCreateRevision())).build());
        advanceMs(1500);
        tick();
        assertThat(present("sick")).isFalse();
    }

    @Test
    void followerDoesNotExpireAndRefusesKeepAlives() {
        register("f", 1000);
        advanceMs(5000);
        tick();
        assertThat(present("f")).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> leases.keepAlive(1)).isInstanceOf(IllegalStateException.class);
    }
}
