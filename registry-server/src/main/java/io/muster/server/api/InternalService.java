package io.muster.server.api;

import io.grpc.stub.StreamObserver;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.InternalGrpc;
import io.muster.internal.v1.ProposeResponse;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.raft.RaftNode;
import java.util.concurrent.CompletableFuture;

/**
 * Member-to-member proposals: a command found on any member (e.g. a health transition) is applied
 * through the leader. {@link #propose} is the in-process entry point, used by the server's own
 * components; the gRPC method is what a follower forwards to.
 */
public final class InternalService extends InternalGrpc.InternalImplBase {

    private final RaftNode raft;
    private final Forwarder forwarder;

    public InternalService(RaftNode raft, Forwarder forwarder) {
        this.raft = raft;
        this.forwarder = forwarder;
    }

    /** Proposes {@code command} on the leader, wherever it is, retrying until the default deadline. */
    public CompletableFuture<ProposeResponse> propose(Command command) {
        if (command.getOpCase() == Command.OpCase.OP_NOT_SET) {
            return CompletableFuture.failedFuture(Validation.invalid("command", "no operation", "one operation"));
        }
        if (command.hasBatch()) {
            return CompletableFuture.failedFuture(Validation.invalid("command", "batch", "one operation other than batch"));
        }
        return forwarder.onLeader(InternalGrpc.getProposeMethod(), command,
                () -> raft.propose(command).thenApply(InternalService::toResponse));
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
