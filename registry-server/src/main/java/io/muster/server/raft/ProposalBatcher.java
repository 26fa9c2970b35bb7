package io.muster.server.raft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.CommandRejectedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Group commit on the leader: proposals that arrive while log entries are being replicated wait, and
 * go together as one {@link Batch} entry. Under load one Raft entry (one replication round, one
 * RocksDB write and fsync, one apply call per member) carries many registrations; a lone proposal on
 * an idle leader is proposed at once, unwrapped.
 *
 * <p>With nothing in flight, whatever waits goes at once. A further entry, up to
 * {@link Limits#maxInFlight}, goes only when at least {@link Limits#minFillForMore} proposals wait;
 * fewer wait for the entry in flight to be applied. Every entry costs each member a dozen thread
 * hand-offs and an fsync whatever its size, so on a busy leader a few larger entries commit sooner
 * than many small ones (RegisterBench, docs/benchmarks.md).
 *
 * <p>Thread-safe. {@code submit} never blocks: the queue is bounded and a full queue fails the
 * proposal with {@link RaftUnavailableException} (the caller's retry policy decides).
 */
final class ProposalBatcher {

    /** Where batches go: a jraft {@code Node.apply} with the expected term. */
    interface Sink {
        void apply(Command command, long expectedTerm, Closure done);

        /**
         * An entry was applied and no proposal waits, so no next entry will carry the new commit
         * index to the followers soon (called on the thread that ran the entry's closure).
         */
        default void idle() {
        }
    }

    /**
     * @param maxInFlight    log entries proposed and not yet applied here, at least 1
     * @param minFillForMore proposals that must wait before an entry goes while another is in flight
     * @param maxCommands    commands per batch entry
     * @param maxBytes       serialized size per batch entry (a larger single command still goes alone)
     * @param maxQueued      proposals waiting; beyond, a proposal fails at once
     */
    record Limits(int maxInFlight, int minFillForMore, int maxCommands, int maxBytes, int maxQueued) {
        Limits {
            if (maxInFlight < 1 || minFillForMore < 1 || maxCommands < 1 || maxBytes < 1 || maxQueued < 1) {
                throw new IllegalArgumentException("batcher limits must be >= 1: " + maxInFlight + ", " + minFillForMore
                        + ", " + maxCommands + ", " + maxBytes + ", " + maxQueued);
            }
        }
    }

    /** One proposal; {@code home} is where its future completes. */
    private record Pending(Command command, CompletableFuture<ApplyResult> future, int size, Executor home) {}

    private final Sink sink;
    private final LongSupplier leaderTerm;
    private final Supplier<Executor> completer;
    private final Limits limits;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    private final LongAdder proposedEntries = new LongAdder();
    private final LongAdder proposedCommands = new LongAdder();

    /**
     * @param leaderTerm the term this node leads, or a value {@code <= 0} when it does not lead
     * @param completer  called on the submitting thread: the executor that completes that proposal's
     *                   future, so that callers' continuations never run on jraft's apply thread (the
     *                   gRPC event loop that took the call, so its response is written without another
     *                   hand-off; proposals of one entry with the same executor complete in one task)
     */
    ProposalBatcher(Sink sink, LongSupplier leaderTerm, Supplier<Executor> completer, Limits limits) {
        this.sink = sink;
        this.leaderTerm = leaderTerm;
        this.completer = completer;
        this.limits = limits;
    }

    /**
     * Queues {@code command}; completes with its own apply result once its entry is applied here, or
     * exceptionally with {@link CommandRejectedException} if the catalog rejected it.
     */
    CompletableFuture<ApplyResult> submit(Command command) {
        if (command.hasBatch()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a batch cannot be proposed from outside"));
        }
        CompletableFuture<ApplyResult> future = new CompletableFuture<>();
        Executor home = completer.get();
        List<Pending> batch;
        synchronized (this) {
            if (queue.size() >= limits.maxQueued()) {
                future.completeExceptionally(new RaftUnavailableException(
                        "leader busy: " + queue.size() + " proposals waiting (limit " + limits.maxQueued() + ")"));
                return future;
            }
            queue.add(new Pending(command, future, command.getSerializedSize(), home));
            if (inFlight >= limits.maxInFlight() || (inFlight > 0 && queue.size() < limits.minFillForMore())) {
                return future; // goes with a later entry: when enough wait, or an entry in flight is applied
            }
            inFlight++;
            batch = drainLocked();
        }
        propose(batch);
        return future;
    }

    /** Proposals waiting for an entry in flight (for metrics and tests). */
    synchronized int queued() {
        return queue.size();
    }

    /** Log entries proposed so far (a batch entry counts once). */
    long proposedEntries() {
        return proposedEntries.sum();
    }

    /** Commands proposed so far, in all entries. */
    long proposedCommands() {
        return proposedCommands.sum();
    }

    private List<Pending> drainLocked() {
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), limits.maxCommands()));
        int bytes = 0;
        Pending p;
        while (batch.size() < limits.maxCommands() && (p = queue.peek()) != null) {
            if (!batch.isEmpty() && bytes + p.size() > limits.maxBytes()) {
                break;
            }
            batch.add(queue.poll());
            bytes += p.size();
        }
        return batch;
    }

    private void propose(List<Pending> batch) {
        long term = leaderTerm.getAsLong();
        BatchClosure done = new BatchClosure(batch);
        if (term <= 0) {
            done.run(new Status(RaftError.EPERM, "not the leader"));
            return;
        }
        Command entry;
        if (batch.size() == 1) {
            entry = batch.get(0).command();
        } else {
            Batch.Builder b = Batch.newBuilder();
            for (Pending p : batch) {
                b.addCommands(p.command());
            }
            entry = Command.newBuilder().setBatch(b).build();
        }
        proposedEntries.increment();
        proposedCommands.add(batch.size());
        try {
            sink.apply(entry, term, done);
        } catch (RuntimeException e) {
            done.run(new Status(RaftError.EINTERNAL, "apply failed: %s", e));
        }
    }

    /** An entry in flight ended (applied, or failed): the next waiting proposals go, if they may. */
    private void entryDone() {
        List<Pending> next;
        boolean idle;
        synchronized (this) {
            // the last entry in flight: all that waits goes; otherwise only a batch worth another entry
            if (!queue.isEmpty() && (inFlight == 1 || queue.size() >= limits.minFillForMore())) {
                next = drainLocked();
                idle = false;
            } else {
                next = null;
                idle = --inFlight == 0;
            }
        }
        if (next != null) {
            propose(next);
        } else if (idle) {
            // with another entry still in flight, its own commit (pushed when it ends) covers this one
            sink.idle();
        }
    }

    /** The closure of one log entry: completes each proposal in it with its own result. */
    final class BatchClosure implements Closure {
        private final List<Pending> proposals;
        private List<ApplyResult> results;
        private boolean ran;

        BatchClosure(List<Pending> proposals) {
            this.proposals = proposals;
        }

        /** The commands of this entry, in log order (the apply thread takes them from here, not the log). */
        List<Command> commands() {
            List<Command> commands = new ArrayList<>(proposals.size());
            for (Pending p : proposals) {
                commands.add(p.command());
            }
            return commands;
        }

        /** Set on the apply thread before {@link #run}: one result per command, in order. */
        void results(List<ApplyResult> results) {
            this.results = results;
        }

        @Override
        public void run(Status status) {
            if (ran) {
                return;
            }
            ran = true;
            try {
                if (status.isOk() && results != null && results.size() == proposals.size()) {
                    completeByHome(results);
                } else {
                    RuntimeException error = status.getRaftError() == RaftError.EPERM
                            ? new NotLeaderException(null, "leadership lost: " + status.getErrorMsg())
                            : new RaftUnavailableException("proposal failed: " + status);
                    for (Pending p : proposals) {
                        p.future().completeExceptionally(error);
                    }
                }
            } finally {
                entryDone();
            }
        }

        /** One task per distinct home executor (usually one: the event loop of the clients' connection). */
        private void completeByHome(List<ApplyResult> r) {
            List<Executor> homes = new ArrayList<>(2);
            for (Pending p : proposals) {
                if (!containsIdentical(homes, p.home())) {
                    homes.add(p.home());
                }
            }
            for (Executor home : homes) {
                Runnable task = () -> {
                    for (int i = 0; i < proposals.size(); i++) {
                        Pending p = proposals.get(i);
                        if (p.home() == home) {
                            complete(p.future(), r.get(i));
                        }
                    }
                };
                try {
                    home.execute(task);
                } catch (RejectedExecutionException e) {
                    task.run();
                }
            }
        }
    }

    /** A rejected command fails its own proposal only; the others of its entry complete normally. */
    private static void complete(CompletableFuture<ApplyResult> future, ApplyResult result) {
        if (result.isRejected()) {
            future.completeExceptionally(new CommandRejectedException(result.rejection()));
        } else {
            future.complete(result);
        }
    }

    private static boolean containsIdentical(List<Executor> list, Executor e) {
        for (Executor x : list) {
            if (x == e) {
                return true;
            }
        }
        return false;
    }
}
