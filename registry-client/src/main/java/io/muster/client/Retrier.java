package io.muster.client;

import io.muster.api.Causes;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Runs a call on the current member and, on a retryable status, fails over to the next and
 * <em>schedules</em> the next attempt after a backoff: no thread waits between attempts, so the
 * client's one scheduler thread stays free for every watch and registration.
 *
 * <p>Attempts run in the gRPC {@link Context} of the caller, so a caller's cancellation (or its
 * server call ending) stops the retries; background work starts from {@link Context#ROOT}.
 */
final class Retrier {

    /** One attempt on one member's channel; carries its own per-attempt deadline. */
    @FunctionalInterface
    interface Attempt<T> {
        CompletableFuture<T> start(ManagedChannel channel);
    }

    private final Endpoints endpoints;
    private final RetryPolicy policy;
    private final ScheduledExecutorService scheduler;
    private final Ticker ticker;
    private final RandomGenerator random;

    Retrier(Endpoints endpoints, RetryPolicy policy, ScheduledExecutorService scheduler, Ticker ticker, RandomGenerator random) {
        this.endpoints = endpoints;
        this.policy = policy;
        this.scheduler = scheduler;
        this.ticker = ticker;
        this.random = random;
    }

    RetryPolicy policy() {
        return policy;
    }

    /** Adapts a gRPC future stub's answer; cancelling the returned future cancels the RPC. */
    static <T> CompletableFuture<T> unary(ListenableFuture<T> call) {
        CompletableFuture<T> out = new CompletableFuture<>();
        Futures.addCallback(call, new FutureCallback<T>() {
            @Override
            public void onSuccess(T result) {
                out.complete(result);
            }

            @Override
            public void onFailure(Throwable t) {
                out.completeExceptionally(t);
            }
        }, MoreExecutors.directExecutor());
        out.whenComplete((r, e) -> {
            if (out.isCancelled()) {
                call.cancel(true);
            }
        });
        return out;
    }

    /** A read (or any call): the current member first. */
    <T> CompletableFuture<T> call(Attempt<T> attempt) {
        return run(attempt, false);
    }

    /** A write: the known leader first (see {@link Endpoints}). */
    <T> CompletableFuture<T> write(Attempt<T> attempt) {
        return run(attempt, true);
    }

    private <T> CompletableFuture<T> run(Attempt<T> attempt, boolean write) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long deadline = ticker.nanoTime() + policy.totalTimeout().toNanos();
        new Run<>(attempt, write, deadline, Context.current(), result).attempt(1);
        return result;
    }

    private final class Run<T> {
        private final Attempt<T> attempt;
        private final boolean write;
        private final long deadline;
        private final Context context;
        private final CompletableFuture<T> result;

        Run(Attempt<T> attempt, boolean write, long deadline, Context context, CompletableFuture<T> result) {
            this.attempt = attempt;
            this.write = write;
            this.deadline = deadline;
            this.context = context;
            this.result = result;
        }

        void attempt(int n) {
            if (result.isDone()) {
                return;
            }
            int index = write ? endpoints.writerIndex() : endpoints.currentIndex();
            CompletableFuture<T> call;
            try {
                call = context.call(() -> attempt.start(endpoints.channel(index)));
            } catch (Exception e) {
                result.completeExceptionally(e);
                return;
            }
            // the caller gave up: stop the RPC in flight
            result.whenComplete((r, e) -> {
                if (e instanceof CancellationException) {
                    call.cancel(true);
                }
            });
            call.whenComplete((value, error) -> {
                if (error == null) {
                    result.complete(value);
                } else {
                    failed(n, index, Causes.unwrap(error));
                }
            });
        }

        private void failed(int n, int index, Throwable error) {
            if (write) {
                endpoints.forgetLeader(index);
            }
            Status status = Status.fromThrowable(error);
            if (!RetryPolicy.retryable(status.getCode()) || context.isCancelled() || endpoints.isClosed()) {
                result.completeExceptionally(error);
                return;
            }
            endpoints.failover(index);
            long backoff = policy.backoffNanos(n, random);
            if (ticker.nanoTime() + backoff + policy.attemptTimeout().toNanos() / 10 >= deadline) {
                result.completeExceptionally(error);
                return;
            }
            try {
                scheduler.schedule(() -> attempt(n + 1), backoff, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(Status.CANCELLED.withDescription("client closed").withCause(error).asRuntimeException());
            }
        }
    }

    /** Waits for {@code future} and rethrows its failure as the gRPC exception it was. */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").withCause(e).asRuntimeException();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = Causes.unwrap(e);
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new StatusRuntimeException(Status.fromThrowable(cause));
        }
    }
}
