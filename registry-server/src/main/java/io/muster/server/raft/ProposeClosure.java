package io.muster.server.raft;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.muster.internal.v1.Command;
import io.muster.server.catalog.ApplyResult;
import java.util.concurrent.CompletableFuture;

/** Completes a proposal's future once, with the apply result or the Raft failure. */
final class ProposeClosure implements Closure {
    private final Command command;
    private final CompletableFuture<ApplyResult> future;
    private final java.util.concurrent.Executor completer;
    private ApplyResult result;

    /**
     * @param completer runs the future's completion, so callers' continuations (gRPC responses)
     *                  never run on jraft's single apply thread
     */
    ProposeClosure(Command command, CompletableFuture<ApplyResult> future, java.util.concurrent.Executor completer) {
        this.command = command;
        this.future = future;
        this.completer = completer;
    }

    Command command() {
        return command;
    }

    void result(ApplyResult result) {
        this.result = result;
    }

    @Override
    public void run(Status status) {
        if (status.isOk()) {
            ApplyResult r = result;
            try {
                completer.execute(() -> future.complete(r));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                future.complete(r);
            }
        } else if (status.getRaftError() == RaftError.EPERM) {
            future.completeExceptionally(new NotLeaderException(null, "leadership lost: " + status.getErrorMsg()));
        } else {
            future.completeExceptionally(new RaftUnavailableException("proposal failed: " + status));
        }
    }
}
