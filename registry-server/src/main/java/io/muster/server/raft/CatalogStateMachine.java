package io.muster.server.raft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.error.RaftException;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.internal.v1.Command;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies typed {@link Command}s from the Raft log to the {@link Catalog}. Apply is total: a command
 * that decodes is applied or rejected by the catalog (a rejection is a result, the same on every
 * replica, and the state machine goes on). Only an entry that cannot be decoded (storage corruption)
 * or a broken invariant (an exception from the catalog, a revision going backwards: a bug) stops the
 * state machine with {@code setErrorAndRollback}; an entry is never skipped, because skipping would
 * let replicas diverge.
 */
final class CatalogStateMachine extends StateMachineAdapter {

    private static final Logger log = LoggerFactory.getLogger(CatalogStateMachine.class);
    static final String SNAPSHOT_FILE = "catalog.pb";

    private final Catalog catalog;
    private final Executor snapshotExecutor;
    private final LeadershipGate leadership = new LeadershipGate();
    private final AtomicLong appliedIndex = new AtomicLong();
    private volatile long leaderTerm = -1;
    private volatile long knownTerm;
    private volatile RaftException error;

    CatalogStateMachine(Catalog catalog, Executor snapshotExecutor) {
        this.catalog = catalog;
        this.snapshotExecutor = snapshotExecutor;
    }

    void addLeadershipListener(LeadershipListener l) {
        leadership.add(l);
    }

    /** Passes leadership callbacks on from now; the ones that came before are passed on first, in order. */
    void openLeadershipCallbacks() {
        leadership.open();
    }

    long appliedIndex() {
        return appliedIndex.get();
    }

    boolean isLeader() {
        return leaderTerm > 0;
    }

    long knownTerm() {
        return knownTerm;
    }

    long leaderTerm() {
        return leaderTerm;
    }

    RaftException error() {
        return error;
    }

    @Override
    public void onApply(Iterator iter) {
        while (iter.hasNext()) {
            Closure done = iter.done();
            List<ApplyResult> results;
            try {
                // the leader that proposed the entry still has its commands: no need to parse them
                List<Command> commands = done instanceof ProposalBatcher.BatchClosure bc
                        ? bc.commands() : unwrap(Command.parseFrom(iter.getData()));
                results = new ArrayList<>(commands.size());
                for (Command command : commands) {
                    long before = catalog.revision();
                    ApplyResult r = catalog.apply(command);
                    if (r.revision() < before || (r.isRejected() && r.revision() != before)) {
                        throw new IllegalStateException("revision went from " + before + " to " + r.revision()
                                + " applying " + command.getOpCase() + (r.isRejected() ? " (rejected)" : ""));
                    }
                    if (r.isRejected()) {
                        log.debug("entry {}: {} rejected ({}): {}", iter.getIndex(), command.getOpCase(),
                                r.rejection().reason().label(), r.rejection().message());
                    }
                    results.add(r);
                }
            } catch (InvalidProtocolBufferException | RuntimeException e) {
                log.error("cannot apply log entry index={} term={}: stopping the state machine", iter.getIndex(), iter.getTerm(), e);
                iter.setErrorAndRollback(1, new Status(RaftError.ESTATEMACHINE,
                        "cannot apply entry %d: %s", iter.getIndex(), e));
                return;
            }
            appliedIndex.set(iter.getIndex());
            if (done instanceof ProposalBatcher.BatchClosure bc) {
                bc.results(results);
                done.run(Status.OK());
            }
            iter.next();
        }
    }

    /**
     * The commands of one log entry: a batch's, in order, or the entry's single command. A batch
     * nested in a batch is passed on as one command, which the catalog rejects.
     */
    static List<Command> unwrap(Command entry) {
        return entry.hasBatch() ? entry.getBatch().getCommandsList() : List.of(entry);
    }

    @Override
    public void onSnapshotSave(SnapshotWriter writer, Closure done) {
        // captured on the apply thread (consistent), written off it
        CatalogSnapshot snapshot = catalog.snapshot();
        Runnable save = () -> {
            Path file = Path.of(writer.getPath(), SNAPSHOT_FILE);
            try {
                Path tmp = Path.of(writer.getPath(), SNAPSHOT_FILE + ".tmp");
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    snapshot.writeTo(out);
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                if (writer.addFile(SNAPSHOT_FILE)) {
                    done.run(Status.OK());
                } else {
                    done.run(new Status(RaftError.EIO, "cannot add %s to snapshot", file));
                }
            } catch (IOException | RuntimeException e) {
                log.error("snapshot save to {} failed", file, e);
                done.run(new Status(RaftError.EIO, "snapshot save failed: %s", e));
            }
        };
        try {
            snapshotExecutor.execute(save);
        } catch (RejectedExecutionException e) {
            // the bounded snapshot pool is full or stopping: this snapshot fails, jraft tries again later
            log.warn("snapshot save refused: {}", e.getMessage());
            done.run(new Status(RaftError.EBUSY, "snapshot save refused: %s", e.getMessage()));
        }
    }

    @Override
    public boolean onSnapshotLoad(SnapshotReader reader) {
        if (reader.getFileMeta(SNAPSHOT_FILE) == null) {
            log.error("snapshot at {} has no {}", reader.getPath(), SNAPSHOT_FILE);
            return false;
        }
        Path file = Path.of(reader.getPath(), SNAPSHOT_FILE);
        try (InputStream in = Files.newInputStream(file)) {
            CatalogSnapshot snapshot = CatalogSnapshot.parseFrom(in);
            catalog.restore(snapshot);
            // the snapshot covers the log up to its index: with nothing after it, no onApply follows,
            // and readiness (applied about up to committed) would wait for the next write
            appliedIndex.set(reader.load().getLastIncludedIndex());
            log.info("loaded snapshot at revision {} ({} instances) from {}", snapshot.getRevision(),
                    snapshot.getInstancesCount(), file);
            return true;
        } catch (IOException | RuntimeException e) {
            log.error("snapshot load from {} failed", file, e);
            return false;
        }
    }

    @Override
    public void onLeaderStart(long term) {
        leaderTerm = term;
        knownTerm = term;
        log.info("became leader at term {}", term);
        leadership.onLeaderStart(term);
    }

    @Override
    public void onLeaderStop(Status status) {
        leaderTerm = -1;
        log.info("stepped down as leader: {}", status);
        leadership.onLeaderStop();
    }

    @Override
    public void onStartFollowing(com.alipay.sofa.jraft.entity.LeaderChangeContext ctx) {
        knownTerm = ctx.getTerm();
        leadership.onStartFollowing(ctx.getTerm());
    }

    @Override
    public void onStopFollowing(com.alipay.sofa.jraft.entity.LeaderChangeContext ctx) {
        log.info("stopped following {}: {}", ctx.getLeaderId(), ctx.getStatus());
        leadership.onStopFollowing();
    }

    @Override
    public void onError(RaftException e) {
        error = e;
        log.error("raft state machine error: {}", e.getStatus(), e);
    }
}
