package io.muster.client;

import com.google.common.util.concurrent.MoreExecutors;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Callbacks decided under an owner's lock, run after it, in the order they were added, one at a
 * time (like gRPC's {@code SynchronizationContext.executeLater} + {@code drain}). {@link #add} is
 * called while holding the owner's lock, so the order is the order of the state changes;
 * {@link #drain} is called after releasing it and hands the work to a sequential executor over the
 * client's callback executor: no callback ever runs under the owner's lock or on the caller's thread.
 */
final class CallbackQueue {

    private static final System.Logger log = System.getLogger(CallbackQueue.class.getName());

    private final Executor sequential;
    private final String owner;
    private final Queue<Runnable> queue = new ArrayDeque<>();
    private int unsubmitted;

    CallbackQueue(Executor callbackExecutor, String owner) {
        this.sequential = MoreExecutors.newSequentialExecutor(callbackExecutor);
        this.owner = owner;
    }

    /** Queues {@code callback}; call while holding the owner's lock. */
    synchronized void add(Runnable callback) {
        queue.add(callback);
        unsubmitted++;
    }

    /** Drops what has not run yet (the owner closed). */
    synchronized void clear() {
        queue.clear();
    }

    /** Hands queued callbacks to the executor; call after releasing the owner's lock. */
    void drain() {
        int n;
        synchronized (this) {
            n = unsubmitted;
            unsubmitted = 0;
        }
        for (int i = 0; i < n; i++) {
            try {
                sequential.execute(this::runOne);
            } catch (RejectedExecutionException e) {
                return; // the callback executor is shut down: the client is closed
            }
        }
    }

    private void runOne() {
        Runnable next;
        synchronized (this) {
            next = queue.poll();
        }
        if (next == null) {
            return;
        }
        try {
            next.run();
        } catch (RuntimeException e) {
            log.log(Level.WARNING, () -> "a listener of " + owner + " threw; delivery goes on", e);
        }
    }
}
