package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import io.muster.server.catalog.Rejection.Kind;
import io.muster.server.catalog.Rejection.Reason;
import io.muster.api.Routing;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The maintenance flag is catalog state like health: a change takes a revision and emits an event
 * carrying the flag, a repeat is a no-op, an unknown instance or a bad command is rejected the same
 * way on every replica (no revision), re-registration keeps it, and a snapshot carries it.
 */
@UnitTest
class MaintenanceIsReplicatedStateTest {

    static final Instance OK = Instance.newBuilder().setService("orders").setId("o-1").setHost("10.0.0.1").setPort(8080)
            .setWeight(100).setLeaseTtlMs(10_000).build();

    final Catalog catalog = new Catalog();
    final List<Event> events = new ArrayList<>();

    @BeforeEach
    void oneInstance() {
        catalog.addListener(new CatalogListener() {
            @Override
            public void onEvents(List<Event> e) {
                events.addAll(e);
            }

            @Override
            public void onReset(Collection<Instance> instances, long revision) {
            }
        });
        catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(OK)).build());
    }

    static Command maint(String id, boolean on, String reason) {
        return Command.newBuilder().setNowMs(2000).setSetMaintenance(SetMaintenanceCmd.newBuilder()
                .setService("orders").setInstanceId(id).setEnabled(on).setReason(reason)).build();
    }

    Instance current() {
        return catalog.read(v -> v.instance(new InstanceKey("default", "orders", "o-1")));
    }

    @Test
    void turningItOnTakesARevisionAndEmitsAnEventWithTheFlag() {
        ApplyResult r = catalog.apply(maint("o-1", true, "kernel upgrade"));
        assertThat(r.changed()).isTrue();
        assertThat(r.revision()).isEqualTo(2);
        assertThat(current().getMaintenance()).isTrue();
        assertThat(current().getMaintenanceReason()).isEqualTo("kernel upgrade");
        assertThat(current().getMaintenanceChangedAtMs()).isEqualTo(2000);
        assertThat(current().getModRevision()).isEqualTo(2);
        assertThat(current().getHealth()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(Routing.isRoutable(current())).isFalse();
        Event e = events.get(events.size() - 1);
        assertThat(e.getType()).isEqualTo(EventType.MAINTENANCE_CHANGED);
        assertThat(e.getRevision()).isEqualTo(2);
        assertThat(e.getInstance().getMaintenance()).isTrue();

        // the same state again changes nothing; a new reason is a change
        assertThat(catalog.apply(maint("o-1", true, "kernel upgrade")).changed()).isFalse();
        assertThat(catalog.revision()).isEqualTo(2);
        assertThat(catalog.apply(maint("o-1", true, "kernel upgrade, take 2")).revision()).isEqualTo(3);

        ApplyResult off = catalog.apply(maint("o-1", false, ""));
        assertThat(off.revision()).isEqualTo(4);
        assertThat(current().getMaintenance()).isFalse();
        assertThat(current().getMaintenanceReason()).isEmpty();
        assertThat(Routing.isRoutable(current())).isTrue();
        assertThat(events.get(events.size() - 1).getInstance().getMaintenance()).isFalse();
    }

    @Test
    void anUnknownInstanceIsRejectedAsNotFoundWithoutARevision() {
        ApplyResult r = catalog.apply(maint("nobody", true, ""));
        assertThat(r.rejection()).isEqualTo(new Rejection(Kind.NOT_FOUND, Reason.UNKNOWN_INSTANCE,
                "set_maintenance: 'orders/nobody' (expected: a registered instance)"));
        assertThat(catalog.revision()).isEqualTo(1);
        assertThat(catalog.rejected(Reason.UNKNOWN_INSTANCE)).isEqualTo(1);
    }

    @Test
    void aBadCommandIsRejectedNamingItsField() {
        assertThat(catalog.apply(maint("o-1", true, "r".repeat(1025))).rejection().message())
                .isEqualTo("set_maintenance.reason: 1025 chars (expected: at most 1024 chars)");
        assertThat(catalog.apply(maint("o-1", false, "why")).rejection().message())
                .isEqualTo("set_maintenance.reason: 3 chars (expected: empty when enabled is false)");
        assertThat(catalog.apply(maint("bad id!", true, "")).rejection().reason()).isEqualTo(Reason.INVALID_MAINTENANCE);
        assertThat(catalog.revision()).isEqualTo(1);
        assertThat(current().getMaintenance()).isFalse();
    }

    @Test
    void reRegistrationHealthChangesAndLeaseExpiryKeepWorking() {
        catalog.apply(maint("o-1", true, "drain"));
        catalog.apply(Command.newBuilder().setNowMs(3000).setRegister(RegisterCmd.newBuilder().setInstance(OK.toBuilder().setWeight(5))).build());
        assertThat(current().getMaintenance()).isTrue();
        assertThat(current().getMaintenanceReason()).isEqualTo("drain");
        assertThat(current().getWeight()).isEqualTo(5);
        ApplyResult h = catalog.apply(Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("orders")
                .setInstanceId("o-1").setHealth(HealthStatus.UNHEALTHY).setReason("HTTP 503")).build());
        assertThat(h.changed()).isTrue();
        assertThat(current().getHealth()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(current().getMaintenance()).isTrue();
        // an expiry decided after the last change (its mod_revision) still removes the instance
        ApplyResult expired = catalog.apply(Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder()
                .setLeaseId(current().getLeaseId()).setModRevision(current().getModRevision())).build());
        assertThat(expired.changed()).isTrue();
        assertThat(current()).isNull();
    }

    @Test
    void aSnapshotAndARestoreCarryTheFlag() {
        catalog.apply(maint("o-1", true, "drain"));
        CatalogSnapshot snap = catalog.snapshot();
        Catalog loaded = new Catalog();
        loaded.restore(snap);
        assertThat(loaded.snapshot()).isEqualTo(snap);

        Catalog restored = new Catalog();
        ApplyResult r = restored.apply(Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(snap.toBuilder().clearMembers())).build());
        assertThat(r.isRejected()).as(String.valueOf(r.rejection())).isFalse();
        Instance back = restored.read(v -> v.instance(new InstanceKey("default", "orders", "o-1")));
        assertThat(back.getMaintenance()).isTrue();
        assertThat(back.getMaintenanceReason()).isEqualTo("drain");

        Instance tooLong = snap.getInstances(0).toBuilder().setMaintenanceReason("r".repeat(1025)).build();
        ApplyResult bad = new Catalog().apply(Command.newBuilder().setRestore(RestoreCmd.newBuilder()
                .setSnapshot(snap.toBuilder().clearMembers().setInstances(0, tooLong))).build());
        assertThat(bad.rejection().message()).startsWith("restore.snapshot.instances[0].maintenance_reason: 1025 chars");
    }

    @Test
    void aRegistrationCannotSetTheFlagItself() {
        Instance sneaky = OK.toBuilder().setId("o-2").setMaintenance(true).setMaintenanceReason("x").build();
        catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(sneaky)).build());
        Instance stored = catalog.read(v -> v.instance(new InstanceKey("default", "orders", "o-2")));
        assertThat(stored.getMaintenance()).isFalse();
        assertThat(stored.getMaintenanceReason()).isEmpty();
    }
}
