package io.muster.server.peer;

import io.muster.api.Causes;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.muster.api.v1.Member;
import io.muster.server.raft.NotLeaderException;
import io.muster.server.raft.RaftNode;
import io.muster.server.raft.RaftUnavailableException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs leader-only work: locally when this node leads, otherwise by forwarding the same RPC to the
 * leader's peer listener. The leader is the member whose Raft address jraft names, looked up in the
 * {@link PeerDirectory}; a write is never forwarded to an address that is not a member's peer
 * address from that directory. While there is no leader (an election), or the leader just failed, it retries with a
 * short backoff until the caller's deadline. A retry after an unknown outcome applies nothing twice:
 * a register or deregister carries a request id (the client's, or one the member it reached gave
 * it) that the catalog applies once, so a retry cannot undo a newer write of the same instance
 * (docs/robustness.md); the internal proposals are conditional (a lease expiry on the instance's
 * mod revision, a health transition on its create revision).
 */
public final class Forwarder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    /** Set on forwarded calls: the receiver must not forward again. */
    public static final Metadata.Key<String> FORWARDED_BY = Metadata.Key.of("muster-forwarded-by", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> FORWARDED_CTX = Context.key("muster-forwarded-by");
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    /**
     * How long one call waits for a leader before answering UNAVAILABLE, so that a client stuck on a
     * member cut off from the cluster (partitioned, or removed) fails over to another one instead of
     * spending its whole deadline here. An election normally takes one to two election timeouts.
     */
    static final long MAX_LEADERLESS_WAIT_MS = 3_000;

    private final RaftNode raft;
    private final PeerDirectory directory;
    private final ScheduledExecutorService scheduler;
    private final PeerChannels peers;
    private final ForwardBatcher batches;

    public Forwarder(RaftNode raft, PeerChannels peers, ScheduledExecutorService scheduler) {
        this(raft, peers, scheduler, size -> { });
    }

    /**
     * @param batchSizes told the number of writes in every batch this member forwards (a metric)
     */
    public Forwarder(RaftNode raft, PeerChannels peers, ScheduledExecutorService scheduler, IntConsumer batchSizes) {
        this.raft = raft;
        this.directory = peers.directory();
        this.peers = peers;
        this.scheduler = scheduler;
        this.batches = new ForwardBatcher(peers, ForwardBatcher.Limits.DEFAULT, System::nanoTime, batchSizes);
    }

    /** Forwarded writes waiting to be sent to the leader in a batch (a metric). */
    public int forwardQueued() {
        return batches.queued();
    }

    /** Deadline of the current call, or the default. */
    public static long deadlineNanos() {
        Deadline d = Context.current().getDeadline();
        long now = System.nanoTime();
        return d == null ? now + TimeUnit.MILLISECONDS.toNanos(DEFAULT_TIMEOUT_MS) : now + d.timeRemaining(TimeUnit.NANOSECONDS);
    }

    /** The current call came through the peer listener from another member. */
    public static boolean isForwarded() {
        return FORWARDED_CTX.get() != null;
    }

    /** Headers that mark a call as forwarded by this member (for streams relayed by hand). */
    public Metadata forwardedHeaders() {
        return peers.forwardedHeaders();
    }

    /** The leader's gRPC address as last looked up, refreshed at most every {@link #HINT_REFRESH_NANOS}. */
    private record LeaderHint(String raftAddress, String grpcAddress, long lookedUpAt) {}

    private static final long HINT_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile LeaderHint hint;

    /**
     * gRPC address of the current leader for the {@code muster-leader} response header, or null.
     * Cheap enough for every write: the directory lookup (catalog read lock, a map of members) is
     * redone only when the leader changes or the last lookup is a second old; on the leader itself
     * the leader's address is its own, with no jraft lock taken.
     */
    public String leaderHint() {
        String raftAddress = raft.isLeader() ? raft.raftAddress() : raft.leaderRaftAddress();
        if (raftAddress == null) {
            return null;
        }
        LeaderHint h = hint;
        long now = System.nanoTime();
        if (h == null || !h.raftAddress().equals(raftAddress) || now - h.lookedUpAt() > HINT_REFRESH_NANOS) {
            String grpc = directory.byRaftAddress(raftAddress).map(Member::getGrpcAddress).filter(a -> !a.isEmpty()).orElse(null);
            h = new LeaderHint(raftAddress, grpc, now);
            hint = h;
        }
        return h.grpcAddress();
    }

    /** The directory entry of the member jraft names leader, if any (its public address is for clients). */
    public Optional<Member> leader() {
        return directory.byRaftAddress(raft.leaderRaftAddress());
    }

    /** A channel to the leader's peer listener: empty with no leader, or when its entry has no valid peer address. */
    public Optional<ManagedChannel> leaderChannel() {
        return leader().flatMap(peers::channel);
    }

    /**
     * Runs a quick leader-only call (a write, a read of the configuration) on the leader. A forwarded
     * attempt is bounded like the wait for a leader ({@link #MAX_LEADERLESS_WAIT_MS}), not by the
     * caller's deadline: a leader this member can no longer reach (a partition, a frozen process)
     * keeps the connection open and never answers, and jraft goes on naming it for an election
     * timeout or more, so an attempt with the caller's deadline would spend all of it here instead
     * of letting the client fail over (docs/robustness.md).
     */
    public <Q, R> CompletableFuture<R> onLeader(MethodDescriptor<Q, R> method, Q request, Supplier<CompletableFuture<R>> local) {
        return onLeader(method, request, local, true);
    }

    /**
     * Like {@link #onLeader(MethodDescriptor, Object, Supplier)} for calls the leader may take long
     * to answer (adding a member waits for it to catch up; a leadership transfer for the target):
     * the forwarded attempt may use the caller's whole deadline.
     */
    public <Q, R> CompletableFuture<R> onLeaderSlow(MethodDescriptor<Q, R> method, Q request, Supplier<CompletableFuture<R>> local) {
        return onLeader(method, request, local, false);
    }

    private <Q, R> CompletableFuture<R> onLeader(MethodDescriptor<Q, R> method, Q request, Supplier<CompletableFuture<R>> local,
                                                 boolean capped) {
        boolean forwarded = isForwarded();
        long callerDeadline = deadlineNanos();
        long attemptDeadline = capped
                ? Math.min(callerDeadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_LEADERLESS_WAIT_MS))
                : callerDeadline;
        return retrying(method.getBareMethodName(), !forwarded, () -> {
            if (raft.isLeader()) {
                return local.get();
            }
            if (forwarded) {
                // the sender picks the new leader itself; never forward twice
                return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("not the leader (forwarded call)").asRuntimeException());
            }
            Optional<Member> leader = leader();
            if (leader.isEmpty()) {
                String known = raft.leaderRaftAddress();
                return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription(known == null
                        ? "no leader elected" : "leader " + known + " is not in the member directory").asRuntimeException());
            }
            Member to = leader.get();
            // unary writes go in batches (one peer call, proposed together); the rest one by one
            CompletableFuture<R> sent = ForwardedBatches.METHODS.contains(method.getFullMethodName())
                    ? batches.call(to, method, request, attemptDeadline)
                    : peers.call(to, method, request, attemptDeadline);
            return sent.exceptionallyCompose(e -> {
                if (attemptDeadline < callerDeadline && Status.fromThrowable(Causes.unwrap(e)).getCode() == Status.Code.DEADLINE_EXCEEDED) {
                    // the caller still has time: it should spend it on another member
                    return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("leader " + to.getId() + " did not answer within "
                            + MAX_LEADERLESS_WAIT_MS + " ms; this member may be cut off from it, retry on another member").asRuntimeException());
                }
                return CompletableFuture.failedFuture(e);
            });
        });
    }

    /**
     * Runs {@code op}, retrying retryable failures (no leader, leader lost, UNAVAILABLE) with a
     * capped exponential backoff until the current call's deadline.
     */
    public <R> CompletableFuture<R> retrying(String what, boolean retry, Supplier<CompletableFuture<R>> op) {
        CompletableFuture<R> result = new CompletableFuture<>();
        Context ctx = Context.current();
        attempt(what, retry, ctx, op, Math.min(deadlineNanos(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_LEADERLESS_WAIT_MS)), 0, result);
        return result;
    }

    private <R> void attempt(String what, boolean retry, Context ctx, Supplier<CompletableFuture<R>> op, long deadline,
                             int attempt, CompletableFuture<R> result) {
        CompletableFuture<R> f;
        Context previous = ctx.attach();
        try {
            f = op.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        } finally {
            ctx.detach(previous);
        }
        f.whenComplete((r, err) -> {
            if (err == null) {
                result.complete(r);
                return;
            }
            long remaining = deadline - System.nanoTime();
            long backoffMs = Math.min(500, 25L << Math.min(attempt, 4));
            if (retry && retryable(err) && remaining > TimeUnit.MILLISECONDS.toNanos(backoffMs + 20)) {
                log.debug("retrying {} in {} ms after {}", what, backoffMs, err.toString());
                scheduler.schedule(() -> attempt(what, retry, ctx, op, deadline, attempt + 1, result), backoffMs, TimeUnit.MILLISECONDS);
            } else {
                // mapped to a status by the caller (api's error mapping), which knows every failure type
                result.completeExceptionally(Causes.unwrap(err));
            }
        });
    }

    /** No leader, the leader lost or unreachable: worth another attempt. */
    static boolean retryable(Throwable t) {
        t = Causes.unwrap(t);
        if (t instanceof NotLeaderException || t instanceof RaftUnavailableException) {
            return true;
        }
        return Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE;
    }

    @Override
    public void close() {
        peers.close();
    }
}
