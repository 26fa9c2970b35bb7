package io.muster.server.peer;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.muster.api.Causes;
import io.muster.api.v1.Member;
import io.muster.internal.v1.ForwardBatchRequest;
import io.muster.internal.v1.ForwardBatchResponse;
import io.muster.internal.v1.ForwardedCall;
import io.muster.internal.v1.ForwardedResult;
import io.muster.internal.v1.ForwardingGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group forwarding on a follower: unary writes forwarded to the same member go together in one
 * {@code Forwarding/ForwardBatch} call, so the leader proposes them together and its group commit
 * (raft's {@code ProposalBatcher}) puts them in few log entries, instead of one peer call, one
 * proposal and often one log entry per write.
 *
 * <p>The same adaptive rule as the leader's proposal batcher, no fixed wait: with no batch in flight
 * to that member, whatever waits goes at once; a further batch, up to {@link Limits#maxInFlight},
 * goes only when at least {@link Limits#minFillForMore} calls wait; fewer wait for a batch in flight
 * to return. Calls leave their member's queue in arrival order, so writes a client connection sent
 * one after another reach the leader in that order.
 *
 * <p>Each call keeps its own deadline (sent along as the time it has left; one that passes while
 * queued is answered {@code DEADLINE_EXCEEDED} and never sent) and its own outcome: the leader
 * answers every call of a batch with its own status. A failed batch call (leader gone, unreachable)
 * fails each of its calls with that status, which the {@link Forwarder} retries exactly as it
 * retries a single forwarded call: the leader may have applied some of them already, so each write
 * carries its request id and the catalog applies it once. A leader that does not serve {@code ForwardBatch} (an older
 * version during a rolling upgrade) gets the calls of the batch one by one.
 *
 * <p>Thread-safe; {@link #call} never blocks: a member's queue is bounded and a full queue answers
 * {@code RESOURCE_EXHAUSTED} at once.
 */
final class ForwardBatcher {

    private static final Logger log = LoggerFactory.getLogger(ForwardBatcher.class);

    /**
     * @param maxInFlight    batch calls to one member not yet answered, at least 1
     * @param minFillForMore calls that must wait before a batch goes while another is in flight
     * @param maxCalls       calls per batch
     * @param maxQueued      calls waiting per member; beyond, a call is refused at once
     */
    record Limits(int maxInFlight, int minFillForMore, int maxCalls, int maxQueued) {
        Limits {
            if (maxInFlight < 1 || minFillForMore < 1 || maxCalls < 1 || maxQueued < 1) {
                throw new IllegalArgumentException("forward batch limits must be >= 1: " + maxInFlight + ", "
                        + minFillForMore + ", " + maxCalls + ", " + maxQueued);
            }
        }

        static final Limits DEFAULT = new Limits(4, 32, 512, 8192);
    }

    /** One forwarded call waiting for (or in) a batch; {@code single} sends it alone. */
    private record Pending(ForwardedCall.Builder call, long deadlineNanos, CompletableFuture<ForwardedResult> result,
                           Supplier<CompletableFuture<ForwardedResult>> single) {}

    /** The queue of one member (by id and peer address: a member whose address changes gets a new one). */
    private final class Lane {
        final Member to;
        final ArrayDeque<Pending> queue = new ArrayDeque<>();
        int inFlight;

        Lane(Member to) {
            this.to = to;
        }
    }

    private final PeerChannels peers;
    private final Limits limits;
    private final LongSupplier nanoTime;
    private final IntConsumer batchSizes;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    /**
     * @param batchSizes told the size of every batch sent (a metric)
     */
    ForwardBatcher(PeerChannels peers, Limits limits, LongSupplier nanoTime, IntConsumer batchSizes) {
        this.peers = peers;
        this.limits = limits;
        this.nanoTime = nanoTime;
        this.batchSizes = batchSizes;
    }

    /** Calls waiting to be sent, over all members (a metric). */
    int queued() {
        int n = 0;
        for (Lane lane : lanes.values()) {
            synchronized (lane) {
                n += lane.queue.size();
            }
        }
        return n;
    }

    /**
     * Forwards one unary call to {@code to} in a batch; completes with its response or fails with its
     * own status. The current gRPC context's cancellation (the caller's deadline, or its cancel)
     * fails the call while it waits.
     */
    <Q, R> CompletableFuture<R> call(Member to, MethodDescriptor<Q, R> method, Q request, long deadlineNanos) {
        ByteString bytes;
        try (InputStream in = method.streamRequest(request)) {
            bytes = ByteString.readFrom(in);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(Status.INTERNAL.withDescription("cannot serialize " + method.getFullMethodName())
                    .withCause(e).asRuntimeException());
        }
        ForwardedCall.Builder call = ForwardedCall.newBuilder().setMethod(method.getFullMethodName()).setRequest(bytes);
        CompletableFuture<ForwardedResult> result = new CompletableFuture<>();
        Supplier<CompletableFuture<ForwardedResult>> single = () -> peers.call(to, method, request, deadlineNanos)
                .handle((r, err) -> err == null
                        ? ForwardedResult.newBuilder().setResponse(serialize(method, r)).build()
                        : failure(Status.fromThrowable(Causes.unwrap(err))));
        Pending p = new Pending(call, deadlineNanos, result, single);
        Context ctx = Context.current();
        Context.CancellationListener cancelled = c -> result.complete(failure(cancellationStatus(c)));
        ctx.addListener(cancelled, Runnable::run);
        result.whenComplete((r, e) -> ctx.removeListener(cancelled));
        enqueue(lanes.computeIfAbsent(to.getId() + '@' + to.getPeerAddress(), k -> new Lane(to)), p);
        return result.thenApply(r -> {
            if (r.getCode() != Status.Code.OK.value()) {
                throw Status.fromCodeValue(r.getCode()).withDescription(r.getMessage()).asRuntimeException();
            }
            return method.parseResponse(r.getResponse().newInput());
        });
    }

    private void enqueue(Lane lane, Pending p) {
        List<Pending> batch;
        synchronized (lane) {
            if (lane.queue.size() >= limits.maxQueued()) {
                p.result().complete(failure(Status.RESOURCE_EXHAUSTED.withDescription("forwarding to leader " + lane.to.getId()
                        + ": " + lane.queue.size() + " writes waiting (limit " + limits.maxQueued() + "); retry later or call the leader")));
                return;
            }
            lane.queue.add(p);
            if (lane.inFlight >= limits.maxInFlight() || (lane.inFlight > 0 && lane.queue.size() < limits.minFillForMore())) {
                return; // goes with a later batch: when enough wait, or a batch in flight returns
            }
            lane.inFlight++;
            batch = drainLocked(lane);
        }
        send(lane, batch);
    }

    /** Up to {@code maxCalls} waiting calls, skipping those already answered (deadline, cancel). */
    private List<Pending> drainLocked(Lane lane) {
        List<Pending> batch = new ArrayList<>(Math.min(lane.queue.size(), limits.maxCalls()));
        Pending p;
        while (batch.size() < limits.maxCalls() && (p = lane.queue.poll()) != null) {
            if (!p.result().isDone()) {
                batch.add(p);
            }
        }
        return batch;
    }

    private void send(Lane lane, List<Pending> batch) {
        while (batch != null) {
            long now = nanoTime.getAsLong();
            long deadline = now;
            ForwardBatchRequest.Builder b = ForwardBatchRequest.newBuilder();
            List<Pending> sent = new ArrayList<>(batch.size());
            for (Pending p : batch) {
                long left = p.deadlineNanos() - now;
                if (left <= 0) {
                    p.result().complete(failure(Status.DEADLINE_EXCEEDED.withDescription(
                            "deadline passed while waiting to be forwarded to leader " + lane.to.getId())));
                    continue;
                }
                b.addCalls(p.call().setTimeoutMs(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
                sent.add(p);
                deadline = Math.max(deadline, p.deadlineNanos());
            }
            if (!sent.isEmpty()) {
                batchSizes.accept(sent.size());
                // the batch belongs to no one caller: outside the context of the call that sent it,
                // whose end (gRPC cancels a call's context when it completes) must not cancel the batch
                Context previous = Context.ROOT.attach();
                CompletableFuture<ForwardBatchResponse> f;
                try {
                    f = peers.call(lane.to, ForwardingGrpc.getForwardBatchMethod(), b.build(), deadline);
                } finally {
                    Context.ROOT.detach(previous);
                }
                f.whenComplete((resp, err) -> {
                    answer(lane, sent, resp, err);
                    send(lane, batchDone(lane));
                });
                return;
            }
            batch = batchDone(lane); // every call of it had expired: nothing went, take the next
        }
    }

    private void answer(Lane lane, List<Pending> sent, ForwardBatchResponse resp, Throwable err) {
        if (err == null && resp.getResultsCount() == sent.size()) {
            for (int i = 0; i < sent.size(); i++) {
                sent.get(i).result().complete(resp.getResults(i));
            }
            return;
        }
        Status s = err == null
                ? Status.INTERNAL.withDescription("leader " + lane.to.getId() + " answered " + resp.getResultsCount()
                        + " results for " + sent.size() + " forwarded calls")
                : Status.fromThrowable(Causes.unwrap(err));
        if (s.getCode() == Status.Code.UNIMPLEMENTED) {
            // a leader of an older version: the calls go one by one, as that version expects
            log.debug("leader {} does not take forwarded batches; forwarding {} calls one by one", lane.to.getId(), sent.size());
            for (Pending p : sent) {
                p.single().get().whenComplete((r, e) -> p.result().complete(r));
            }
            return;
        }
        ForwardedResult failed = failure(s);
        for (Pending p : sent) {
            p.result().complete(failed);
        }
    }

    /** A batch call returned: the next waiting calls go, if they may; null when none goes. */
    private List<Pending> batchDone(Lane lane) {
        synchronized (lane) {
            // the last batch in flight: all that waits goes; otherwise only enough for another batch
            if (!lane.queue.isEmpty() && (lane.inFlight == 1 || lane.queue.size() >= limits.minFillForMore())) {
                return drainLocked(lane);
            }
            lane.inFlight--;
            return null;
        }
    }

    private static Status cancellationStatus(Context c) {
        if (c.getDeadline() != null && c.getDeadline().isExpired()) {
            return Status.DEADLINE_EXCEEDED.withDescription("deadline passed while waiting to be forwarded to the leader");
        }
        Throwable cause = c.cancellationCause();
        Status s = cause == null ? Status.CANCELLED : Status.fromThrowable(cause);
        return s.getCode() == Status.Code.UNKNOWN ? Status.CANCELLED.withDescription("caller cancelled") : s;
    }

    private static ForwardedResult failure(Status s) {
        return ForwardedResult.newBuilder().setCode(s.getCode().value())
                .setMessage(s.getDescription() == null ? "" : s.getDescription()).build();
    }

    private static <R> ByteString serialize(MethodDescriptor<?, R> method, R response) {
        try (InputStream in = method.streamResponse(response)) {
            return ByteString.readFrom(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a response of " + method.getFullMethodName(), e);
        }
    }
}
