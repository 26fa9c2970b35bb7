package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Group commit: what goes into one log entry, and how each proposal learns its own outcome. */
@UnitTest
class ProposalBatcherTest {

    private record Entry(Command command, long term, ProposalBatcher.BatchClosure done) {}

    private final List<Entry> entries = new ArrayList<>();
    private final AtomicLong term = new AtomicLong(7);
    private int idleCalls;
    /** Proposals that must wait before a further entry goes; 1 = whenever an entry may go. */
    private int minFill = 1;

    private ProposalBatcher batcher(int maxInFlight, int maxCommands, int maxBytes, int maxQueued) {
        return batcher(() -> Runnable::run, maxInFlight, maxCommands, maxBytes, maxQueued);
    }

    private ProposalBatcher batcher(Supplier<Executor> completer, int maxInFlight, int maxCommands, int maxBytes, int maxQueued) {
        ProposalBatcher.Sink sink = new ProposalBatcher.Sink() {
            @Override
            public void apply(Command c, long t, Closure done) {
                entries.add(new Entry(c, t, (ProposalBatcher.BatchClosure) done));
            }

            @Override
            public void idle() {
                idleCalls++;
            }
        };
        return new ProposalBatcher(sink, term::get, completer, new ProposalBatcher.Limits(maxInFlight, minFill, maxCommands, maxBytes, maxQueued));
    }

    /** An executor that only queues: tasks run when the test says so. */
    private static final class QueuedExecutor implements Executor {
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            List<Runnable> run = new ArrayList<>(tasks);
            tasks.clear();
            run.forEach(Runnable::run);
        }
    }

    private static Command register(String id) {
        return Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("s").setId(id).setHost("h").setPort(1))).build();
    }

    /** What the state machine does for an entry: one result per command, revisions counting from {@code first}. */
    private static void applied(Entry e, long first) {
        List<ApplyResult> results = new ArrayList<>();
        for (int i = 0; i < e.done().commands().size(); i++) {
            results.add(new ApplyResult(first + i, true, null, false));
        }
        e.done().results(results);
        e.done().run(Status.OK());
    }

    @Test
    void aLoneProposalOnAnIdleLeaderGoesAtOnceUnwrapped() throws Exception {
        ProposalBatcher b = batcher(2, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> f = b.submit(register("a"));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).command()).isEqualTo(register("a"));
        assertThat(entries.get(0).term()).isEqualTo(7);
        applied(entries.get(0), 11);
        assertThat(f.get().revision()).isEqualTo(11);
    }

    @Test
    void proposalsArrivingWhileEntriesReplicateShareTheNextEntryInOrderAndEachGetsItsOwnResult() throws Exception {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> first = b.submit(register("a"));
        List<CompletableFuture<ApplyResult>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(b.submit(register("w" + i)));
        }
        assertThat(entries).as("in flight limit 1: the others wait").hasSize(1);
        assertThat(b.queued()).isEqualTo(5);

        applied(entries.get(0), 1);
        assertThat(first.get().revision()).isEqualTo(1);
        assertThat(entries).hasSize(2);
        Command batch = entries.get(1).command();
        assertThat(batch.hasBatch()).isTrue();
        assertThat(batch.getBatch().getCommandsList()).extracting(c -> c.getRegister().getInstance().getId())
                .containsExactly("w0", "w1", "w2", "w3", "w4");

        applied(entries.get(1), 2);
        for (int i = 0; i < 5; i++) {
            assertThat(waiting.get(i).get().revision()).isEqualTo(2 + i);
        }
        assertThat(b.queued()).isZero();
        // idle again: the next one goes alone, at once
        b.submit(register("z"));
        assertThat(entries).hasSize(3);
        assertThat(entries.get(2).command().hasBatch()).isFalse();
        assertThat(b.proposedEntries()).as("a batch entry counts once").isEqualTo(3);
        assertThat(b.proposedCommands()).isEqualTo(7);
    }

    @Test
    void aFurtherEntryGoesOnlyWhenEnoughProposalsWaitAndFewerFollowTheEntriesInFlight() throws Exception {
        minFill = 3;
        ProposalBatcher b = batcher(2, 256, 1 << 20, 100);
        List<CompletableFuture<ApplyResult>> futures = new ArrayList<>();
        futures.add(b.submit(register("a")));
        assertThat(entries).as("nothing in flight: at once").hasSize(1);
        futures.add(b.submit(register("b")));
        futures.add(b.submit(register("c")));
        assertThat(entries).as("two wait, fewer than 3: no second entry yet").hasSize(1);
        futures.add(b.submit(register("d")));
        assertThat(entries).as("three wait: a second entry carries them").hasSize(2);
        assertThat(ids(entries.get(1))).containsExactly("b", "c", "d");

        for (String id : List.of("e", "f", "g", "h")) {
            futures.add(b.submit(register(id)));
        }
        assertThat(entries).as("two in flight is the limit, however many wait").hasSize(2);
        applied(entries.get(0), 1);
        assertThat(entries).as("four wait: they replace the applied entry").hasSize(3);
        assertThat(ids(entries.get(2))).containsExactly("e", "f", "g", "h");

        futures.add(b.submit(register("i")));
        applied(entries.get(1), 2);
        assertThat(entries).as("one waits, another entry is still in flight: it follows that one").hasSize(3);
        assertThat(b.queued()).isEqualTo(1);
        applied(entries.get(2), 5);
        assertThat(entries).as("the last entry in flight was applied: what waits goes, whatever its count").hasSize(4);
        assertThat(entries.get(3).command().hasBatch()).isFalse();
        applied(entries.get(3), 9);

        assertThat(idleCalls).isEqualTo(1);
        for (int i = 0; i < futures.size(); i++) {
            assertThat(futures.get(i).get().revision()).isEqualTo(1 + i);
        }
        assertThatThrownBy(() -> new ProposalBatcher.Limits(2, 0, 256, 1024, 100))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<String> ids(Entry e) {
        return e.done().commands().stream().map(c -> c.getRegister().getInstance().getId()).toList();
    }

    @Test
    void theSinkHearsOfIdleOnlyWhenAnAppliedEntryLeavesNothingToPropose() {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 100);
        b.submit(register("a"));
        b.submit(register("b"));
        applied(entries.get(0), 1);
        assertThat(idleCalls).as("the next entry carries the commit").isZero();
        applied(entries.get(1), 2);
        assertThat(idleCalls).as("nothing follows: the commit must be pushed").isEqualTo(1);

        b.submit(register("c"));
        entries.get(2).done().run(new Status(RaftError.EPERM, "lost"));
        assertThat(idleCalls).isEqualTo(2);
    }

    @Test
    void theCommitIsPushedOnceWhenTheLastOfSeveralEntriesInFlightIsApplied() {
        ProposalBatcher b = batcher(2, 256, 1 << 20, 100);
        b.submit(register("a"));
        b.submit(register("b"));
        assertThat(entries).as("two entries in flight").hasSize(2);
        applied(entries.get(0), 1);
        assertThat(idleCalls).as("b is still in flight: pushing its commit will cover a").isZero();
        applied(entries.get(1), 2);
        assertThat(idleCalls).isEqualTo(1);
    }

    @Test
    void eachProposalCompletesOnTheExecutorOfItsSubmitterWithOneTaskPerExecutorAndEntry() throws Exception {
        QueuedExecutor loopA = new QueuedExecutor();
        QueuedExecutor loopB = new QueuedExecutor();
        Executor[] submitter = {loopA};
        ProposalBatcher b = batcher(() -> submitter[0], 1, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> first = b.submit(register("a"));
        List<CompletableFuture<ApplyResult>> onA = new ArrayList<>();
        List<CompletableFuture<ApplyResult>> onB = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            submitter[0] = i % 2 == 0 ? loopA : loopB;
            (i % 2 == 0 ? onA : onB).add(b.submit(register("w" + i)));
        }
        applied(entries.get(0), 1);
        assertThat(first).as("completes on its executor, not on the apply thread").isNotDone();
        assertThat(loopA.tasks).hasSize(1);
        loopA.runAll();
        assertThat(first.get().revision()).isEqualTo(1);

        applied(entries.get(1), 2);
        assertThat(loopA.tasks).as("one task for the three proposals of loop A").hasSize(1);
        assertThat(loopB.tasks).as("one task for the three proposals of loop B").hasSize(1);
        loopB.runAll();
        assertThat(onB).allMatch(CompletableFuture::isDone);
        assertThat(onA).noneMatch(CompletableFuture::isDone);
        loopA.runAll();
        for (int i = 0; i < 3; i++) {
            assertThat(onA.get(i).get().revision()).isEqualTo(2 + 2 * i);
            assertThat(onB.get(i).get().revision()).isEqualTo(3 + 2 * i);
        }
    }

    @Test
    void aProposalWhoseExecutorRefusesCompletesInPlace() throws Exception {
        ProposalBatcher b = batcher(() -> r -> {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }, 1, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> f = b.submit(register("a"));
        applied(entries.get(0), 4);
        assertThat(f.get().revision()).isEqualTo(4);
    }

    @Test
    void aBatchIsCutAtTheCommandAndByteLimits() {
        int size = register("w00").getSerializedSize();
        ProposalBatcher b = batcher(1, 3, 2 * size, 100);
        b.submit(register("a00"));
        for (int i = 0; i < 5; i++) {
            b.submit(register("w0" + i));
        }
        applied(entries.get(0), 1);
        assertThat(entries.get(1).command().getBatch().getCommandsCount()).as("byte limit: two fit").isEqualTo(2);
        applied(entries.get(1), 2);
        assertThat(entries.get(2).command().getBatch().getCommandsCount()).isEqualTo(2);
        applied(entries.get(2), 4);
        assertThat(entries.get(3).command().hasBatch()).as("the last one alone").isFalse();

        ProposalBatcher counted = batcher(1, 3, 1 << 20, 100);
        entries.clear();
        counted.submit(register("a"));
        for (int i = 0; i < 5; i++) {
            counted.submit(register("c" + i));
        }
        applied(entries.get(0), 1);
        assertThat(entries.get(1).command().getBatch().getCommandsCount()).as("command limit").isEqualTo(3);
    }

    @Test
    void aFailedEntryFailsEveryProposalInItAndTheWaitingOnesStillGo() {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> first = b.submit(register("a"));
        CompletableFuture<ApplyResult> second = b.submit(register("b"));
        CompletableFuture<ApplyResult> third = b.submit(register("c"));
        entries.get(0).done().run(new Status(RaftError.EPERM, "stepped down"));
        assertThatThrownBy(first::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotLeaderException.class);
        assertThat(entries).hasSize(2);
        entries.get(1).done().run(new Status(RaftError.EIO, "disk"));
        assertThatThrownBy(second::get).hasCauseInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(third::get).hasCauseInstanceOf(RaftUnavailableException.class);
        assertThat(b.queued()).isZero();
    }

    @Test
    void waitingProposalsFailAtOnceWhenLeadershipIsGoneByTheirTurn() {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 100);
        b.submit(register("a"));
        CompletableFuture<ApplyResult> waiting = b.submit(register("b"));
        term.set(-1);
        applied(entries.get(0), 1);
        assertThat(entries).as("nothing proposed without a term").hasSize(1);
        assertThatThrownBy(waiting::get).hasCauseInstanceOf(NotLeaderException.class);
        // and the in-flight count is back to zero: a new term proposes at once
        term.set(8);
        b.submit(register("c"));
        assertThat(entries).hasSize(2);
        assertThat(entries.get(1).term()).isEqualTo(8);
    }

    @Test
    void aFullQueueRefusesAtOnceAndABatchCannotBeProposedFromOutside() {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 2);
        b.submit(register("a"));
        b.submit(register("b"));
        b.submit(register("c"));
        assertThatThrownBy(() -> b.submit(register("d")).get()).hasCauseInstanceOf(RaftUnavailableException.class)
                .hasMessageContaining("limit 2");
        Command batch = Command.newBuilder().setBatch(Batch.newBuilder().addCommands(register("x"))).build();
        assertThatThrownBy(() -> b.submit(batch).get()).hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClosureThatRunsTwiceCompletesOnce() throws Exception {
        ProposalBatcher b = batcher(1, 256, 1 << 20, 100);
        CompletableFuture<ApplyResult> f = b.submit(register("a"));
        Closure done = entries.get(0).done();
        applied(entries.get(0), 5);
        done.run(new Status(RaftError.EIO, "late"));
        assertThat(f.get().revision()).isEqualTo(5);
        b.submit(register("b"));
        b.submit(register("c"));
        assertThat(entries).as("in flight count not decremented twice: c waits behind b").hasSize(2);
    }
}
