package io.muster.server.api;

import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.StatusRequest;
import io.muster.api.v1.StatusResponse;
import io.muster.server.peer.PeerChannels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code Members} with {@code with_status}: asks every member of an answer for its own
 * {@code Cluster.Status}, all at once, over the peer listener (the member-to-member surface: mutual
 * TLS when peer TLS is on, never the public port), each within {@link #DEFAULT_DEADLINE}. Only the
 * member itself knows its applied index, so the answering member asks; one that does not answer in
 * time (killed, frozen, cut off) is {@code alive: false} with no status, and the answer is never
 * held longer than the deadline.
 *
 * <p>Thread-safe: no state of its own; the answers complete on the peer channels' executor.
 */
final class MemberStatuses {

    /** Long enough for a member on another host under load; short enough for a console refreshing every 2 s. */
    static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(1);

    private final String selfId;
    private final PeerChannels peers;
    private final Supplier<CompletableFuture<StatusResponse>> own;
    private final Duration deadline;

    /**
     * @param own this member's status, computed locally (no call to itself)
     */
    MemberStatuses(String selfId, PeerChannels peers, Supplier<CompletableFuture<StatusResponse>> own, Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("status deadline: " + deadline + " (expected: positive)");
        }
        this.selfId = selfId;
        this.peers = peers;
        this.own = own;
        this.deadline = deadline;
    }

    /**
     * {@code answer} with every member's status and {@code alive} set to whether it answered.
     *
     * @param callDeadlineNanos the deadline of the call being answered ({@code System.nanoTime()}
     *                          based): no member is waited for beyond it
     */
    CompletableFuture<MembersResponse> addTo(MembersResponse answer, long callDeadlineNanos) {
        long until = Math.min(System.nanoTime() + deadline.toNanos(), callDeadlineNanos);
        List<CompletableFuture<Optional<StatusResponse>>> asks = new ArrayList<>();
        for (Member m : answer.getMembersList()) {
            asks.add(ask(m.getId(), until));
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
            MembersResponse.Builder b = answer.toBuilder().clearMembers().clearStatuses();
            for (int i = 0; i < answer.getMembersCount(); i++) {
                Member m = answer.getMembers(i);
                Optional<StatusResponse> status = asks.get(i).join();
                status.ifPresent(s -> b.putStatuses(m.getId(), s));
                b.addMembers(m.toBuilder().setAlive(status.isPresent()));
            }
            return b.build();
        });
    }

    private CompletableFuture<Optional<StatusResponse>> ask(String memberId, long untilNanos) {
        CompletableFuture<StatusResponse> status;
        if (memberId.equals(selfId)) {
            status = own.get();
        } else {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(untilNanos - System.nanoTime());
            // the directory (not the answer) gives the address, as for every member-to-member call;
            // an unknown id, a refused connection or the deadline all mean: did not answer
            status = leftMs <= 0 ? CompletableFuture.failedFuture(new IllegalStateException("no time left"))
                    : peers.callMember(memberId, ClusterGrpc.getStatusMethod(), StatusRequest.getDefaultInstance(), leftMs);
        }
        return status.handle((s, e) -> e == null ? Optional.of(s) : Optional.empty());
    }
}
