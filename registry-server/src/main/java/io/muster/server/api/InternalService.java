package io.muster.server.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.InternalGrpc;
import io.muster.internal.v1.ProposeResponse;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.peer.Forwarder;
import io.muster.server.raft.RaftNode;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Member-to-member proposals: a command found on any member (e.g. a health transition) is applied
 * through the leader. {@link #propose} is the in-process entry point, used by the server's own
 * components; the gRPC method is what a follower forwards to, served on the peer listener only.
 *
 * <p>Members forward only health transitions ({@code SetHealthCmd}, from the owner of an instance's
 * checks), so that is all either entry point accepts. Everything else (registrations, expiries,
 * directory entries, restores, batches) a member proposes on its own leadership, never on a peer's
 * word: a peer call cannot halt the state machine with a command no client path would build, nor
 * point the member directory at an address of its choosing.
 */
public final class InternalService extends InternalGrpc.InternalImplBase {

    /** What members legitimately propose through another member: health transitions. */
    static final Set<Command.OpCase> FORWARDABLE = Set.of(Command.OpCase.SET_HEALTH);

    private final RaftNode raft;
    private final Forwarder forwarder;
    private final Catalog catalog;

    public InternalService(RaftNode raft, Forwarder forwarder, Catalog catalog) {
        this.raft = raft;
        this.forwarder = forwarder;
        this.catalog = catalog;
    }

    /** Proposes {@code command} on the leader, wherever it is, retrying until the default deadline. */
    public CompletableFuture<ProposeResponse> propose(Command command) {
        if (!FORWARDABLE.contains(command.getOpCase())) {
            return CompletableFuture.failedFuture(Status.INVALID_ARGUMENT.withDescription("command: " + command.getOpCase()
                    + " (expected: one of " + FORWARDABLE + "; other commands are proposed only by the leader itself)").asRuntimeException());
        }
        return forwarder.onLeader(InternalGrpc.getProposeMethod(), command, () -> {
            SetHealthCmd h = command.getSetHealth();
            InstanceKey key = new InstanceKey(h.getNamespace(), h.getService(), h.getInstanceId());
            Instance current = catalog.read(v -> v.instance(key));
            if (current != null && current.getChecksCount() == 0) {
                // probes run only for instances with checks: no member has a transition to report
                return CompletableFuture.failedFuture(Status.FAILED_PRECONDITION.withDescription("set_health: "
                        + key + " has no health checks (expected: an instance "
                        + "with checks, whose owner proposes its transitions)").asRuntimeException());
            }
            return raft.propose(command).thenApply(InternalService::toResponse);
        });
    }

    static ProposeResponse toResponse(ApplyResult r) {
        ProposeResponse.Builder b = ProposeResponse.newBuilder().setRevision(r.revision()).setChanged(r.changed());
        if (r.instance() != null) {
            b.setInstance(r.instance());
        }
        return b.build();
    }

    @Override
    public void propose(Command request, StreamObserver<ProposeResponse> observer) {
        propose(request).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }
}
