package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Rejection.Reason;
import io.muster.testkit.UnitTest;
import org.junit.jupiter.api.Test;

/**
 * The robustness suite's linearizability finding (docs/robustness.md): a deregister whose answer was
 * lost is retried (by the client on another member, or by a follower's forwarder) after its first
 * attempt was applied and after another client registered the same instance again; applied a
 * second time it removed that newer registration, which no order of the calls explains. A write
 * with a request id is applied once within the window, on every replica alike (the entries travel
 * in snapshots); a retry is answered as its first attempt was.
 */
@UnitTest
class ARetriedWriteNeverUndoesANewerWriteTest {

    static Instance instance(int port) {
        return Instance.newBuilder().setService("orders").setId("i1").setHost("10.0.0.1").setPort(port)
                .setWeight(100).setLeaseTtlMs(10_000).build();
    }

    static Command register(Instance in, String requestId, long nowMs) {
        return Command.newBuilder().setNowMs(nowMs).setRegister(RegisterCmd.newBuilder().setInstance(in).setRequestId(requestId)).build();
    }

    static Command deregister(String requestId, long nowMs) {
        return Command.newBuilder().setNowMs(nowMs)
                .setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("i1").setRequestId(requestId)).build();
    }

    static Integer port(Catalog c) {
        return c.read(v -> {
            Instance i = v.instance(new InstanceKey("default", "orders", "i1"));
            return i == null ? null : i.getPort();
        });
    }

    @Test
    void aRetriedDeregisterDoesNotRemoveTheRegistrationThatFollowedItsFirstAttempt() {
        Catalog catalog = new Catalog();
        catalog.apply(register(instance(11934), "c3-1", 1_000));
        ApplyResult first = catalog.apply(deregister("c2-7", 1_100)); // applied; its answer lost
        catalog.apply(register(instance(11955), "c3-2", 1_200)); // another client's, acknowledged
        long revision = catalog.revision();

        ApplyResult retry = catalog.apply(deregister("c2-7", 4_100)); // the same call, on another member

        assertThat(port(catalog)).as("the newer registration survives the retry").isEqualTo(11955);
        assertThat(catalog.revision()).isEqualTo(revision);
        assertThat(retry.changed()).isFalse();
        assertThat(retry.existed()).as("answered as the first attempt: found").isEqualTo(first.existed()).isTrue();
        assertThat(retry.revision()).isEqualTo(revision);
    }

    @Test
    void aRetriedRegisterDoesNotOverwriteALaterWriteAndAnswersItsLease() {
        Catalog catalog = new Catalog();
        ApplyResult first = catalog.apply(register(instance(11934), "c0-1", 1_000));
        catalog.apply(register(instance(11955), "c1-1", 1_100));

        ApplyResult retry = catalog.apply(register(instance(11934), "c0-1", 1_200));

        assertThat(port(catalog)).isEqualTo(11955);
        assertThat(retry.instance().getLeaseId()).isEqualTo(first.instance().getLeaseId());
        assertThat(retry.instance().getLeaseTtlMs()).isEqualTo(10_000);
        assertThat(retry.existed()).isFalse();
    }

    @Test
    void writesWithoutARequestIdAndDistinctIdsApplyEachTime() {
        Catalog catalog = new Catalog();
        catalog.apply(register(instance(1), "", 1_000));
        catalog.apply(deregister("", 1_100));
        catalog.apply(register(instance(2), "", 1_200));
        catalog.apply(deregister("", 1_300));
        assertThat(port(catalog)).isNull();

        catalog.apply(register(instance(3), "a", 1_400));
        catalog.apply(deregister("a", 1_500)); // the same id on another kind of write is another write
        assertThat(port(catalog)).isNull();
    }

    @Test
    void aRetryAfterTheWindowIsAppliedAgain() {
        Catalog catalog = new Catalog();
        catalog.apply(deregister("d", 1_000));
        catalog.apply(register(instance(2), "r", 1_100));

        catalog.apply(deregister("d", 1_000 + AppliedWrites.WINDOW_MS + 1));

        assertThat(port(catalog)).isNull();
    }

    @Test
    void aReplicaLoadedFromASnapshotAnswersARetryAsTheOthersDo() {
        Catalog leader = new Catalog();
        leader.apply(deregister("c2-7", 1_000));
        leader.apply(register(instance(11955), "c3-2", 1_100));
        CatalogSnapshot snapshot = leader.snapshot();
        assertThat(snapshot.getAppliedWritesCount()).isEqualTo(2);

        Catalog installed = new Catalog();
        installed.restore(snapshot);
        for (Catalog c : new Catalog[] {leader, installed}) {
            c.apply(deregister("c2-7", 2_000));
        }

        assertThat(port(installed)).isEqualTo(11955).isEqualTo(port(leader));
        assertThat(installed.snapshot()).isEqualTo(leader.snapshot());
    }

    @Test
    void aBadRequestIdIsRejectedNamingTheField() {
        Catalog catalog = new Catalog();
        ApplyResult r = catalog.apply(deregister("not/valid", 1_000));
        assertThat(r.isRejected()).isTrue();
        assertThat(r.rejection().reason()).isEqualTo(Reason.INVALID_KEY);
        assertThat(r.rejection().message()).isEqualTo("deregister.request_id: 'not/valid' (expected: empty, or 1-64 chars of [A-Za-z0-9._-])");
    }
}
