package io.muster.server.metrics;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether a member should get traffic ({@code /readyz}): its gRPC servers are started, it knows a
 * leader (or knew one less than an election timeout ago, so an ordinary election does not flap it),
 * its state machine has not stopped, and it has applied about everything it knows committed. The
 * inputs are plain values the member reads from its Raft node; time comes from the injected ticker.
 *
 * <p>Threading: {@link #sample} (a scheduled task, so a leader seen between two probes counts) and
 * {@link #check} (the HTTP thread) may run concurrently; the one mutable field is volatile and only
 * moves forward.
 */
public final class Readiness {

    /** What the member's parts say right now; {@code leader} is the leader's Raft address or null. */
    public record Signals(boolean serving, boolean raftStarted, boolean raftStopped, String leader, long committedIndex,
                          long appliedIndex) {
    }

    /** The answer of {@code /readyz}: ready, or not with a short reason. */
    public record Verdict(boolean ready, String reason) {
        static final Verdict READY = new Verdict(true, "ready");
    }

    private final Supplier<Signals> signals;
    private final LongSupplier nanoTime;
    private final long leaderGraceNanos;
    private final long maxApplyLag;
    private volatile long leaderSeenAt;
    private volatile boolean leaderSeen;

    /**
     * @param leaderGrace how long a member that lost its leader stays ready (the election timeout)
     * @param maxApplyLag committed entries not applied yet that still count as caught up
     */
    public Readiness(Supplier<Signals> signals, LongSupplier nanoTime, Duration leaderGrace, long maxApplyLag) {
        this.signals = signals;
        this.nanoTime = nanoTime;
        this.leaderGraceNanos = leaderGrace.toNanos();
        this.maxApplyLag = maxApplyLag;
    }

    /** Notes whether a leader is known now; run it every fraction of the election timeout. */
    public void sample() {
        see(signals.get());
    }

    private void see(Signals s) {
        if (s.leader() != null) {
            leaderSeenAt = nanoTime.getAsLong();
            leaderSeen = true;
        }
    }

    public Verdict check() {
        Signals s = signals.get();
        see(s);
        if (!s.serving()) {
            return new Verdict(false, "gRPC servers not serving");
        }
        if (!s.raftStarted()) {
            return new Verdict(false, "raft not started");
        }
        if (s.raftStopped()) {
            return new Verdict(false, "raft stopped (state machine error or shutdown)");
        }
        if (s.leader() == null) {
            if (!leaderSeen) {
                return new Verdict(false, "no leader yet");
            }
            long ms = Duration.ofNanos(nanoTime.getAsLong() - leaderSeenAt).toMillis();
            if (ms * 1_000_000L > leaderGraceNanos) {
                return new Verdict(false, "no leader for " + ms + " ms");
            }
        }
        long lag = s.committedIndex() - s.appliedIndex();
        if (lag > maxApplyLag) {
            return new Verdict(false, "applying: " + s.appliedIndex() + " of " + s.committedIndex() + " committed entries");
        }
        return Verdict.READY;
    }
}
