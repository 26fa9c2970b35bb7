package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.AppliedWrite;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import io.muster.server.catalog.Rejection.Reason;
import io.muster.testkit.UnitTest;
import org.junit.jupiter.api.Test;

/**
 * The ABA of a retried register or deregister (docs/robustness.md), for SetMaintenance: an operator
 * turns maintenance on, the answer is lost, another operator (or the deploy tool) turns it off, and
 * the first call's retry (the client's, on another member, or a follower's forwarder) turned it on
 * again: an instance back in service left out of traffic, which no order of the two calls explains.
 * With a request id the retry is answered as its first attempt and changes nothing, on every replica
 * alike (the entries travel in snapshots).
 */
@UnitTest
class ARetriedMaintenanceChangeNeverUndoesANewerOneTest {

    static Command register(long nowMs) {
        Instance in = Instance.newBuilder().setService("orders").setId("i1").setHost("10.0.0.1").setPort(8080)
                .setWeight(100).setLeaseTtlMs(10_000).build();
        return Command.newBuilder().setNowMs(nowMs).setRegister(RegisterCmd.newBuilder().setInstance(in)).build();
    }

    static Command maintenance(boolean enabled, String requestId, long nowMs) {
        return Command.newBuilder().setNowMs(nowMs).setSetMaintenance(SetMaintenanceCmd.newBuilder().setService("orders")
                .setInstanceId("i1").setEnabled(enabled).setReason(enabled ? "kernel upgrade" : "").setRequestId(requestId)).build();
    }

    static Boolean inMaintenance(Catalog c) {
        return c.read(v -> {
            Instance i = v.instance(new InstanceKey("default", "orders", "i1"));
            return i == null ? null : i.getMaintenance();
        });
    }

    @Test
    void aRetriedMaintenanceOnDoesNotUndoTheOffThatFollowedItsFirstAttempt() {
        Catalog catalog = new Catalog();
        catalog.apply(register(1_000));
        ApplyResult first = catalog.apply(maintenance(true, "op1-1", 1_100)); // applied; its answer lost
        catalog.apply(maintenance(false, "op2-1", 1_200)); // another operator's, acknowledged
        long revision = catalog.revision();

        ApplyResult retry = catalog.apply(maintenance(true, "op1-1", 4_100)); // the same call, on another member

        assertThat(inMaintenance(catalog)).as("back in service, as the newer call left it").isFalse();
        assertThat(catalog.revision()).isEqualTo(revision);
        assertThat(retry.isRejected()).isFalse();
        assertThat(retry.changed()).as("answered as the first attempt: changed").isEqualTo(first.changed()).isTrue();
        assertThat(retry.revision()).isEqualTo(revision);
        assertThat(retry.instance().getMaintenance()).as("the instance as it is now").isFalse();
    }

    @Test
    void aRetryAfterTheInstanceWasDeregisteredIsAnsweredNotRefused() {
        Catalog catalog = new Catalog();
        catalog.apply(register(1_000));
        catalog.apply(maintenance(true, "op1-1", 1_100));
        catalog.apply(Command.newBuilder().setNowMs(1_200)
                .setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("i1")).build());

        ApplyResult retry = catalog.apply(maintenance(true, "op1-1", 1_300));

        assertThat(retry.isRejected()).as("the first attempt succeeded: no NOT_FOUND for its retry").isFalse();
        assertThat(retry.instance().getService()).isEqualTo("orders");
        assertThat(retry.instance().getId()).isEqualTo("i1");
        assertThat(retry.instance().getMaintenance()).isTrue();
        assertThat(inMaintenance(catalog)).isNull();
    }

    @Test
    void changesWithoutARequestIdOrWithDistinctIdsApplyEachTime() {
        Catalog catalog = new Catalog();
        catalog.apply(register(1_000));
        catalog.apply(maintenance(true, "", 1_100));
        catalog.apply(maintenance(false, "", 1_200));
        assertThat(catalog.apply(maintenance(true, "", 1_300)).changed()).isTrue();
        assertThat(inMaintenance(catalog)).isTrue();

        catalog.apply(maintenance(false, "a", 1_400));
        assertThat(catalog.apply(maintenance(true, "b", 1_500)).changed()).isTrue();
        assertThat(inMaintenance(catalog)).isTrue();
    }

    @Test
    void aRetryAfterTheWindowIsAppliedAgain() {
        Catalog catalog = new Catalog();
        catalog.apply(register(1_000));
        catalog.apply(maintenance(true, "on", 1_100));
        catalog.apply(maintenance(false, "off", 1_200));

        catalog.apply(maintenance(true, "on", 1_100 + AppliedWrites.WINDOW_MS + 1));

        assertThat(inMaintenance(catalog)).isTrue();
    }

    @Test
    void aRejectedAttemptIsNotRememberedSoItsRetryIsCheckedAgain() {
        Catalog catalog = new Catalog();
        assertThat(catalog.apply(maintenance(true, "early", 1_000)).isRejected()).as("not registered yet").isTrue();
        catalog.apply(register(1_100));

        ApplyResult retry = catalog.apply(maintenance(true, "early", 1_200));

        assertThat(retry.changed()).isTrue();
        assertThat(inMaintenance(catalog)).isTrue();
    }

    @Test
    void aReplicaLoadedFromASnapshotAnswersARetryAsTheOthersDo() {
        Catalog leader = new Catalog();
        leader.apply(register(1_000));
        leader.apply(maintenance(true, "op1-1", 1_100));
        leader.apply(maintenance(false, "op2-1", 1_200));
        CatalogSnapshot snapshot = leader.snapshot();

        Catalog installed = new Catalog();
        installed.restore(snapshot);
        ApplyResult[] retries = new ApplyResult[2];
        Catalog[] replicas = {leader, installed};
        for (int i = 0; i < 2; i++) {
            retries[i] = replicas[i].apply(maintenance(true, "op1-1", 2_000));
        }

        assertThat(inMaintenance(installed)).isFalse().isEqualTo(inMaintenance(leader));
        assertThat(retries[1]).isEqualTo(retries[0]);
        assertThat(installed.snapshot()).isEqualTo(leader.snapshot());
    }

    @Test
    void aSnapshotWrittenBeforeMaintenanceChangesHadRequestIdsStillLoads() {
        // what an older member wrote: register and deregister entries only, no `changed` field
        Catalog older = new Catalog();
        older.apply(register(1_000));
        CatalogSnapshot snapshot = older.snapshot().toBuilder().clearAppliedWrites()
                .addAppliedWrites(AppliedWrite.newBuilder().setKey("deregister/orders/i0/c1-1").setAppliedAtMs(900).setExisted(true))
                .build();
        byte[] bytes = snapshot.toByteArray();

        Catalog loaded = new Catalog();
        loaded.restore(parse(bytes));

        assertThat(loaded.apply(maintenance(true, "op1-1", 1_100)).changed()).isTrue();
        assertThat(inMaintenance(loaded)).isTrue();
        assertThat(loaded.snapshot().getAppliedWritesList()).extracting(AppliedWrite::getKey)
                .containsExactly("deregister/orders/i0/c1-1", "maintenance/orders/i1/op1-1");
        Catalog none = new Catalog();
        none.restore(parse(older.snapshot().toBuilder().clearAppliedWrites().build().toByteArray()));
        assertThat(none.apply(maintenance(true, "op1-1", 1_100)).changed()).isTrue();
    }

    static CatalogSnapshot parse(byte[] bytes) {
        try {
            return CatalogSnapshot.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aBadRequestIdIsRejectedNamingTheField() {
        Catalog catalog = new Catalog();
        catalog.apply(register(1_000));
        ApplyResult r = catalog.apply(maintenance(true, "not/valid", 1_100));
        assertThat(r.isRejected()).isTrue();
        assertThat(r.rejection().reason()).isEqualTo(Reason.INVALID_MAINTENANCE);
        assertThat(r.rejection().message())
                .isEqualTo("set_maintenance.request_id: 'not/valid' (expected: empty, or 1-64 chars of [A-Za-z0-9._-])");
        assertThat(inMaintenance(catalog)).isFalse();
    }
}
