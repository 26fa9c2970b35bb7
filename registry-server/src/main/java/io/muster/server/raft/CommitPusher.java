package io.muster.server.raft;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the followers about a new commit index at once, instead of with the next log entry.
 *
 * <p>A jraft follower learns that an entry is committed only from the next AppendEntries the
 * leader sends it: the next entry, or the next heartbeat (election timeout / 5, 200 ms by
 * default). When the leader goes idle after a commit, the followers therefore apply, and serve to
 * their watchers and LOCAL readers, one inter-arrival time or up to one heartbeat period late
 * (figures: docs/benchmarks.md, "Figures behind choices in the code"). {@link #request()} sends two heartbeat rounds, one after the other,
 * which carry the leader's commit index; jraft's public API sends one as part of a ReadIndex on
 * the leader.
 *
 * <p>At most one round is in flight: requests made meanwhile are merged into the rounds after it
 * ends, so the extra traffic is bounded by one round trip per follower at a time however fast
 * entries commit (and under load the next entry usually carries the commit anyway: the batcher
 * requests a push only when nothing waits to be proposed).
 *
 * <p>Thread-safe; {@link #request()} never blocks. {@code round} must start one round and run the
 * given callback exactly once when it ends, successfully or not.
 */
final class CommitPusher {

    private static final Logger log = LoggerFactory.getLogger(CommitPusher.class);

    private final Consumer<Runnable> round;
    // rounds still to run, the one in flight included (0: idle)
    private final AtomicInteger owed = new AtomicInteger();
    private final LongAdder rounds = new LongAdder();

    CommitPusher(Consumer<Runnable> round) {
        this.round = round;
    }

    /**
     * Pushes the current commit index to the followers: two rounds that start after this call.
     * The second one is for a follower whose acknowledgment of the entry the leader had not yet
     * processed when the first round left (the quorum can be the leader and the other follower):
     * jraft caps the commit index a heartbeat carries at what it knows the follower has.
     */
    void request() {
        while (true) {
            int s = owed.get();
            int target = s == 0 ? 2 : 3;
            if (s >= target) {
                return;
            }
            if (owed.compareAndSet(s, target)) {
                if (s == 0) {
                    start();
                }
                return;
            }
        }
    }

    /** Heartbeat rounds started so far. */
    long rounds() {
        return rounds.sum();
    }

    private void start() {
        rounds.increment();
        try {
            round.accept(this::roundEnded);
        } catch (RuntimeException e) {
            log.warn("could not push the commit index to the followers", e);
            owed.set(0);
        }
    }

    private void roundEnded() {
        if (owed.decrementAndGet() > 0) {
            start();
        }
    }
}
