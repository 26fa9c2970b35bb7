package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.CatalogListener;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rejection;
import io.muster.testkit.UnitTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Apply is total: a decodable entry is applied or rejected, command by command, and the state machine
 * goes on; only an undecodable entry or a bug (an exception from the catalog) stops it. An entry is
 * never skipped.
 */
@UnitTest
class BadLogEntryStopsStateMachineTest {

    /** An in-memory jraft Iterator over given entries that records setErrorAndRollback. */
    static class ListIterator implements Iterator {
        final List<ByteBuffer> entries;
        int pos;
        Status error;
        long rolledBack;

        ListIterator(List<ByteBuffer> entries) {
            this.entries = entries;
        }

        @Override
        public ByteBuffer getData() {
            return entries.get(pos);
        }

        @Override
        public long getIndex() {
            return pos + 1;
        }

        @Override
        public long getTerm() {
            return 1;
        }

        @Override
        public Closure done() {
            return null;
        }

        @Override
        public void setErrorAndRollback(long ntail, Status st) {
            error = st;
            rolledBack = ntail;
        }

        @Override
        public void commitAndSnapshotSync(Closure done) {
        }

        @Override
        public void setAutoCommitPerLog(boolean status) {
        }

        @Override
        public boolean commit() {
            return false;
        }

        @Override
        public boolean hasNext() {
            return error == null && pos < entries.size();
        }

        @Override
        public ByteBuffer next() {
            return entries.get(pos++);
        }
    }

    static ByteBuffer register(String id) {
        return ByteBuffer.wrap(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("s").setId(id).setHost("h").setPort(1).setLeaseTtlMs(1000))).build().toByteArray());
    }

    @Test
    void undecodableEntryStopsApplyingAndLaterEntriesAreNotApplied() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        ListIterator it = new ListIterator(List.of(register("a"), ByteBuffer.wrap(new byte[]{(byte) 0xff, 0x01}), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNotNull();
        assertThat(it.error.getErrorMsg()).contains("cannot apply entry 2");
        assertThat(it.rolledBack).isEqualTo(1);
        assertThat(catalog.revision()).isEqualTo(1);
        assertThat(fsm.appliedIndex()).isEqualTo(1);
        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "s")))).extracting(Instance::getId).containsExactly("a");
    }

    @Test
    void aDecodableEntryThatBreaksARuleIsRejectedAndTheStateMachineGoesOn() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        Command noService = Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setHost("h").setPort(1))).build();
        ListIterator it = new ListIterator(List.of(ByteBuffer.wrap(Command.newBuilder().setNowMs(1).build().toByteArray()),
                ByteBuffer.wrap(noService.toByteArray()), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNull();
        assertThat(fsm.appliedIndex()).isEqualTo(3);
        assertThat(catalog.revision()).as("rejected entries take no revision").isEqualTo(1);
        assertThat(catalog.rejected(Rejection.Reason.NO_OPERATION)).isEqualTo(1);
        assertThat(catalog.rejected(Rejection.Reason.INVALID_INSTANCE)).isEqualTo(1);
        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "s")))).extracting(Instance::getId).containsExactly("b");
    }

    @Test
    void anExceptionFromTheCatalogIsABugAndStopsTheStateMachine() {
        Catalog catalog = new Catalog();
        catalog.addListener(new CatalogListener() {
            @Override
            public void onEvents(List<Event> events) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onReset(Collection<Instance> instances, long revision) {
            }
        });
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        ListIterator it = new ListIterator(List.of(register("a"), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNotNull();
        assertThat(it.error.getErrorMsg()).contains("cannot apply entry 1").contains("listener bug");
        assertThat(fsm.appliedIndex()).isZero();
    }

    static Command registerCmd(String id) {
        return Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("s").setId(id).setHost("h").setPort(1).setLeaseTtlMs(1000))).build();
    }

    @Test
    void aBatchEntryFromTheLogAppliesEachCommandInOrderWithItsOwnRevision() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        Command batch = Command.newBuilder().setBatch(Batch.newBuilder()
                .addCommands(registerCmd("a")).addCommands(registerCmd("b")).addCommands(registerCmd("c"))).build();
        ListIterator it = new ListIterator(List.of(ByteBuffer.wrap(batch.toByteArray()), register("d")));
        fsm.onApply(it);
        assertThat(it.error).isNull();
        assertThat(catalog.revision()).isEqualTo(4);
        assertThat(fsm.appliedIndex()).isEqualTo(2);
        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "s"))))
                .extracting(Instance::getId, Instance::getCreateRevision)
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("b", 2L), tuple("c", 3L), tuple("d", 4L));
    }

    @Test
    void aBatchWithOneBadCommandAppliesTheOthersAndANestedBatchIsRejectedNotApplied() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        Command inner = Command.newBuilder().setBatch(Batch.newBuilder().addCommands(registerCmd("x"))).build();
        Command portZero = Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("s").setId("z").setHost("h").setPort(0))).build();
        Command outer = Command.newBuilder().setBatch(Batch.newBuilder().addCommands(registerCmd("a")).addCommands(inner)
                .addCommands(portZero).addCommands(registerCmd("c"))).build();
        ListIterator it = new ListIterator(List.of(ByteBuffer.wrap(outer.toByteArray()), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNull();
        assertThat(catalog.rejected(Rejection.Reason.NESTED_BATCH)).isEqualTo(1);
        assertThat(catalog.rejected(Rejection.Reason.INVALID_INSTANCE)).isEqualTo(1);
        assertThat(List.copyOf(catalog.read(v -> v.instances("default", "s"))))
                .extracting(Instance::getId, Instance::getCreateRevision)
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("c", 2L), tuple("b", 3L));
    }

    @Test
    void onTheLeaderEachProposalOfABatchLearnsItsOwnOutcome() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        List<Closure> closures = new ArrayList<>();
        ProposalBatcher batcher = new ProposalBatcher(new ProposalBatcher.Sink() {
            @Override
            public void apply(Command command, long expectedTerm, Closure done) {
                closures.add(done);
            }
        }, () -> 1, () -> Runnable::run, new ProposalBatcher.Limits(1, 1, 10, 1 << 20, 10));
        var first = batcher.submit(registerCmd("a")); // goes alone: the next ones wait and share an entry
        var good = batcher.submit(registerCmd("b"));
        var bad = batcher.submit(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("s").setHost("h").setPort(1))).build());
        var alsoGood = batcher.submit(registerCmd("c"));
        applyAsTheLeader(fsm, closures.get(0));
        applyAsTheLeader(fsm, closures.get(1));
        assertThat(first).isCompletedWithValueMatching(r -> r.revision() == 1);
        assertThat(good).isCompletedWithValueMatching(r -> r.revision() == 2);
        assertThat(alsoGood).isCompletedWithValueMatching(r -> r.revision() == 3);
        assertThat(bad).isCompletedExceptionally();
        assertThatThrownBy(bad::join).hasCauseInstanceOf(CommandRejectedException.class)
                .hasMessageContaining("instance.id: '' (expected: 1-128 chars");
    }

    /** jraft calls onApply with the leader's closure for the entry it proposed. */
    private static void applyAsTheLeader(CatalogStateMachine fsm, Closure done) {
        ListIterator it = new ListIterator(List.of(ByteBuffer.allocate(0))) {
            @Override
            public Closure done() {
                return done;
            }
        };
        fsm.onApply(it);
        assertThat(it.error).isNull();
    }
}
