package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.AppliedWrite;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.Rejection;
import io.muster.testkit.UnitTest;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Namespaces arrive without breaking what was written before them: log entries and snapshots
 * without a namespace (proto3 leaves the field empty) are read as the namespace {@code default};
 * a command naming a bad namespace is rejected identically on every replica and the state machine
 * goes on; a snapshot keeps each instance's namespace.
 */
@UnitTest
class PreNamespaceLogAndSnapshotLoadIntoTheDefaultNamespaceTest {

    static Instance.Builder instance(String service, String id) {
        return Instance.newBuilder().setService(service).setId(id).setHost("h").setPort(1).setLeaseTtlMs(5000);
    }

    static ByteBuffer entry(Command.Builder c) {
        return ByteBuffer.wrap(c.setNowMs(1_000).build().toByteArray());
    }

    @Test
    void oldFormatCommandsApplyToTheDefaultNamespace() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        BadLogEntryStopsStateMachineTest.ListIterator it = new BadLogEntryStopsStateMachineTest.ListIterator(List.of(
                entry(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(instance("orders", "a")))),
                entry(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(instance("orders", "b")))),
                entry(Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("orders").setInstanceId("a")
                        .setHealth(HealthStatus.UNHEALTHY).setReason("down"))),
                entry(Command.newBuilder().setSetMaintenance(SetMaintenanceCmd.newBuilder().setService("orders").setInstanceId("a")
                        .setEnabled(true).setReason("upgrade"))),
                entry(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("b")))));
        fsm.onApply(it);

        assertThat(it.error).isNull();
        assertThat(catalog.revision()).isEqualTo(5);
        List<Instance> orders = List.copyOf(catalog.read(v -> v.instances("default", "orders")));
        assertThat(orders).singleElement().satisfies(a -> {
            assertThat(a.getNamespace()).isEqualTo("default");
            assertThat(a.getId()).isEqualTo("a");
            assertThat(a.getHealth()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(a.getMaintenance()).isTrue();
        });
        assertThat(List.copyOf(catalog.read(v -> v.namespaces()))).containsExactly("default");
    }

    @Test
    void anOldSnapshotLoadsIntoDefaultAndItsRequestIdsStillAnswerRetries() {
        CatalogSnapshot old = CatalogSnapshot.newBuilder().setRevision(7).setNextLeaseId(3)
                .addInstances(instance("orders", "a").setLeaseId(1).setCreateRevision(1).setModRevision(6).setHealth(HealthStatus.HEALTHY))
                .addInstances(instance("payments", "p").setLeaseId(2).setCreateRevision(7).setModRevision(7).setHealth(HealthStatus.HEALTHY))
                // the key form of a register with a request id before namespaces
                .addAppliedWrites(AppliedWrite.newBuilder().setKey("register/orders/a/req-1").setAppliedAtMs(900)
                        .setLeaseId(1).setLeaseTtlMs(5000))
                .build();
        Catalog catalog = new Catalog();
        catalog.restore(old);

        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "orders")))).extracting(Instance::getNamespace).containsExactly("default");
        assertThat(catalog.read(v -> v.instanceByLease(2)).getNamespace()).isEqualTo("default");
        assertThat(catalog.snapshot().getInstancesList()).extracting(Instance::getNamespace).containsOnly("default");

        // a retry of the write the old snapshot remembers is answered, not applied again
        ApplyResult retry = catalog.apply(Command.newBuilder().setNowMs(1_000).setRegister(RegisterCmd.newBuilder()
                .setInstance(instance("orders", "a")).setRequestId("req-1")).build());
        assertThat(retry.changed()).isFalse();
        assertThat(retry.instance().getLeaseId()).isEqualTo(1);
        assertThat(catalog.revision()).isEqualTo(7);
        // the same request id names another write in another namespace
        ApplyResult elsewhere = catalog.apply(Command.newBuilder().setNowMs(1_000).setRegister(RegisterCmd.newBuilder()
                .setInstance(instance("orders", "a").setNamespace("shop")).setRequestId("req-1")).build());
        assertThat(elsewhere.changed()).isTrue();
        assertThat(elsewhere.instance().getNamespace()).isEqualTo("shop");
        assertThat(catalog.revision()).isEqualTo(8);
    }

    @Test
    void aBadNamespaceIsRejectedTheSameOnEveryReplicaAndTheStateMachineGoesOn() {
        List<ByteBuffer> log = List.of(
                entry(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(instance("orders", "a").setNamespace("Shop")))),
                entry(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("a").setNamespace("-shop"))),
                entry(Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("orders").setInstanceId("a")
                        .setHealth(HealthStatus.HEALTHY).setNamespace("*"))),
                entry(Command.newBuilder().setSetMaintenance(SetMaintenanceCmd.newBuilder().setService("orders").setInstanceId("a")
                        .setEnabled(true).setNamespace("x".repeat(64)))),
                entry(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(instance("orders", "a").setNamespace("shop")))));
        Catalog[] replicas = {new Catalog(), new Catalog()};
        for (Catalog replica : replicas) {
            BadLogEntryStopsStateMachineTest.ListIterator it = new BadLogEntryStopsStateMachineTest.ListIterator(
                    log.stream().map(ByteBuffer::duplicate).toList());
            new CatalogStateMachine(replica, Runnable::run).onApply(it);
            assertThat(it.error).isNull();
            assertThat(replica.revision()).as("only the valid entry takes a revision").isEqualTo(1);
            assertThat(replica.rejected(Rejection.Reason.INVALID_INSTANCE)).isEqualTo(1);
            assertThat(replica.rejected(Rejection.Reason.INVALID_KEY)).isEqualTo(2);
            assertThat(replica.rejected(Rejection.Reason.INVALID_MAINTENANCE)).isEqualTo(1);
        }
        assertThat(replicas[0].snapshot()).isEqualTo(replicas[1].snapshot());
        ApplyResult bad = new Catalog().apply(Command.newBuilder().setRegister(RegisterCmd.newBuilder()
                .setInstance(instance("orders", "a").setNamespace("Shop"))).build());
        assertThat(bad.rejection().message()).contains("instance.namespace: 'Shop'").contains("[a-z0-9-]");
    }

    @Test
    void aSnapshotAndARestoreKeepEachInstanceInItsNamespace() {
        Catalog source = new Catalog();
        for (String ns : List.of("default", "shop")) {
            source.apply(Command.newBuilder().setNowMs(1_000).setRegister(RegisterCmd.newBuilder()
                    .setInstance(instance("orders", "a").setNamespace(ns).setPort(ns.equals("shop") ? 2 : 1))).build());
        }
        CatalogSnapshot snapshot = source.snapshot();

        Catalog loaded = new Catalog();
        loaded.restore(snapshot);
        Catalog restored = new Catalog();
        assertThat(restored.apply(Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(snapshot)).build()).rejection())
                .isNull();
        for (Catalog c : List.of(loaded, restored)) {
            assertThat(List.copyOf(c.read(v -> v.namespaces()))).containsExactly("default", "shop");
            assertThat(List.copyOf(c.read(v -> v.instances("shop", "orders")))).extracting(Instance::getPort).containsExactly(2);
            assertThat(List.copyOf(c.read(v -> v.instances("default", "orders")))).extracting(Instance::getPort).containsExactly(1);
        }
    }
}
