package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A log entry that cannot be decoded or applied stops the state machine; it is never skipped. */
class BadLogEntryStopsStateMachineTest {

    /** An in-memory jraft Iterator over given entries that records setErrorAndRollback. */
    static final class ListIterator implements Iterator {
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
        assertThat(List.copyOf(catalog.read(v -> v.instances("s")))).extracting(Instance::getId).containsExactly("a");
    }

    @Test
    void entryThatCannotApplyStopsTheStateMachine() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        ListIterator it = new ListIterator(List.of(ByteBuffer.wrap(Command.newBuilder().setNowMs(1).build().toByteArray()), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNotNull();
        assertThat(catalog.revision()).isZero();
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
        assertThat(List.copyOf(catalog.read(v -> v.instances("s"))))
                .extracting(Instance::getId, Instance::getCreateRevision)
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("b", 2L), tuple("c", 3L), tuple("d", 4L));
    }

    @Test
    void aNestedBatchStopsTheStateMachine() {
        Catalog catalog = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(catalog, Runnable::run);
        Command inner = Command.newBuilder().setBatch(Batch.newBuilder().addCommands(registerCmd("x"))).build();
        Command outer = Command.newBuilder().setBatch(Batch.newBuilder().addCommands(registerCmd("a")).addCommands(inner)).build();
        ListIterator it = new ListIterator(List.of(ByteBuffer.wrap(outer.toByteArray()), register("b")));
        fsm.onApply(it);
        assertThat(it.error).isNotNull();
        assertThat(it.error.getErrorMsg()).contains("nested batch");
        assertThat(catalog.revision()).isZero();
    }
}
