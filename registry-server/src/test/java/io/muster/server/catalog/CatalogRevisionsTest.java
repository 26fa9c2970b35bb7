package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One revision per change, dense and deterministic; updates keep identity; guarded expiry. */
@UnitTest
class CatalogRevisionsTest {

    final Catalog catalog = new Catalog();
    final List<Event> events = new ArrayList<>();

    CatalogRevisionsTest() {
        catalog.addListener(new CatalogListener() {
            @Override
            public void onEvents(List<Event> e) {
                events.addAll(e);
            }

            @Override
            public void onReset(Collection<Instance> instances, long revision) {
            }
        });
    }

    static Command register(String id, int port) {
        return Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("svc").setId(id).setHost("h").setPort(port).setLeaseTtlMs(5000))).build();
    }

    @Test
    void everyChangeGetsTheNextRevisionAndEmitsOneEvent() {
        ApplyResult a = catalog.apply(register("a", 1));
        ApplyResult b = catalog.apply(register("b", 2));
        ApplyResult a2 = catalog.apply(register("a", 3));
        ApplyResult none = catalog.apply(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("svc").setInstanceId("zzz")).build());
        ApplyResult gone = catalog.apply(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("svc").setInstanceId("b")).build());
        assertThat(List.of(a.revision(), b.revision(), a2.revision(), none.revision(), gone.revision())).containsExactly(1L, 2L, 3L, 3L, 4L);
        assertThat(none.changed()).isFalse();
        assertThat(events).extracting(Event::getType).containsExactly(EventType.REGISTERED, EventType.REGISTERED, EventType.UPDATED, EventType.DEREGISTERED);
        assertThat(events).extracting(Event::getRevision).containsExactly(1L, 2L, 3L, 4L);
        assertThat(a2.instance().getLeaseId()).isEqualTo(a.instance().getLeaseId());
        assertThat(a2.instance().getCreateRevision()).isEqualTo(1);
        assertThat(a2.instance().getPort()).isEqualTo(3);
    }

    @Test
    void expiryOfAReRegisteredInstanceIsRefused() {
        ApplyResult a = catalog.apply(register("a", 1));
        catalog.apply(register("a", 1));
        ApplyResult stale = catalog.apply(Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder()
                .setLeaseId(a.instance().getLeaseId()).setModRevision(a.revision())).build());
        assertThat(stale.changed()).isFalse();
        ApplyResult fresh = catalog.apply(Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder()
                .setLeaseId(a.instance().getLeaseId()).setModRevision(2)).build());
        assertThat(fresh.changed()).isTrue();
        assertThat(events.get(events.size() - 1).getType()).isEqualTo(EventType.EXPIRED);
        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "svc")))).isEmpty();
    }

    @Test
    void healthTransitionOnlyWhenStatusChanges() {
        ApplyResult a = catalog.apply(register("a", 1));
        assertThat(a.instance().getHealth()).isEqualTo(HealthStatus.HEALTHY);
        Command down = Command.newBuilder().setNowMs(2000).setSetHealth(SetHealthCmd.newBuilder().setService("svc").setInstanceId("a")
                .setHealth(HealthStatus.UNHEALTHY).setReason("HTTP 503").setCreateRevision(a.instance().getCreateRevision())).build();
        ApplyResult r1 = catalog.apply(down);
        ApplyResult r2 = catalog.apply(down);
        assertThat(r1.changed()).isTrue();
        assertThat(r1.instance().getHealthReason()).isEqualTo("HTTP 503");
        assertThat(r1.instance().getHealthChangedAtMs()).isEqualTo(2000);
        assertThat(r2.changed()).isFalse();
        assertThat(events.get(events.size() - 1).getPreviousHealth()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void snapshotRestoresTheSameStateAndRevision() {
        catalog.apply(register("a", 1));
        catalog.apply(register("b", 2));
        CatalogSnapshot snap = catalog.snapshot();
        Catalog other = new Catalog();
        other.restore(snap);
        assertThat(other.snapshot()).isEqualTo(snap);
        ApplyResult c = other.apply(register("c", 3));
        assertThat(c.revision()).isEqualTo(3);
        assertThat(c.instance().getLeaseId()).isEqualTo(3);
    }

    @Test
    void commandWithoutOperationIsRejectedWithoutTakingARevision() {
        catalog.apply(register("a", 1));
        ApplyResult r = catalog.apply(Command.getDefaultInstance());
        assertThat(r.rejection().reason()).isEqualTo(Rejection.Reason.NO_OPERATION);
        assertThat(r.revision()).isEqualTo(1);
        assertThat(catalog.apply(register("b", 2)).revision()).isEqualTo(2);
    }
}
