package io.muster.client;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A registered instance whose lease is kept alive in the background (a keep-alive every TTL/3 on a
 * stream to any member, relayed to the leader). If the stream breaks it reconnects to the next
 * member; if the registry says the lease is gone it registers the instance again, asynchronously
 * (the client's scheduler thread never waits for it). {@link #close()} stops the keep-alives and
 * deregisters.
 *
 * <p>A stream whose keep-alive goes unanswered for TTL/6 (at least 100 ms, at most the attempt
 * timeout) is abandoned, and the keep-alive is sent again at once (after a jitter of at most a tenth
 * of that) on a new stream to the next member, even though the connection looks fine: a member that
 * froze (a long pause, a stalled VM) or was cut off from the others (a partition: its relay to the
 * leader gets no answer and no reset) keeps its connections open, and keep-alives sent into it renew
 * nothing (issue 18). Waiting for the next periodic keep-alive instead (TTL/3) lost leases when the
 * next member was cut off too (two followers isolated in a 5-member cluster): TTL/3 late, then
 * TTL/3 more per cut-off member. Now a lease whose handle meets {@code k} cut-off members in a row
 * is renewed within TTL/3 + k &times; TTL/6 (+ the jitters) of its last renewal: under the TTL for
 * any minority of a 5-member cluster (k &le; 2: 2/3 of the TTL). The steady state is unchanged: one
 * keep-alive per TTL/3 on one stream. A lease survives a leader freeze when its TTL covers the
 * election plus this detection (docs/client.md).
 *
 * <pre>{@code
 * Registration reg = client.register(instance, new Registration.Listener() {
 *     public void onLeaseAtRisk(Duration sinceRenewal) { metrics.leaseAtRisk(); }
 * });
 * if (reg.state() == Registration.State.AT_RISK) { ... }
 * reg.close(); // deregisters
 * }</pre>
 *
 * <p>Threading: state changes under the handle's monitor; listeners run after it, serialized, on the
 * client's callback executor.
 */
public final class Registration implements AutoCloseable {

    private static final System.Logger log = System.getLogger(Registration.class.getName());

    /** Where the lease stands. */
    public enum State {
        /** Keep-alives are confirmed. */
        ACTIVE,
        /** No keep-alive confirmed for more than half the TTL: the lease may expire soon. */
        AT_RISK,
        /** The registry lost the lease; registering again. */
        REREGISTERING,
        CLOSED
    }

    /** Lifecycle notifications; serialized, on the client's callback executor. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** The registry no longer knew the lease; the instance is being registered again. */
        default void onLeaseLost(long leaseId) {
        }

        default void onRegistered(RegisterResponse response) {
        }

        /** Keep-alives have failed for {@code sinceRenewal}, more than half the TTL: the lease may expire. */
        default void onLeaseAtRisk(Duration sinceRenewal) {
        }

        /** A keep-alive was confirmed again after {@link #onLeaseAtRisk}. */
        default void onLeaseRenewed() {
        }
    }

    private final RegistryClient client;
    private final Instance instance;
    private final Listener listener;
    private final CallbackQueue callbacks;
    private final long periodNanos;
    /** How long a keep-alive may go unanswered before its stream is abandoned. */
    private final long answerTimeoutNanos;
    private long leaseId;
    private long ttlMs;
    private long revision;
    private long lastRenewNanos;
    private int failures;
    /** A keep-alive sent on the current stream has had no answer since {@link #unansweredSinceNanos}. */
    private boolean unanswered;
    private long unansweredSinceNanos;
    private State state = State.ACTIVE;
    private StreamObserver<KeepAliveRequest> stream;
    private Context.CancellableContext streamContext;
    private Responses responses;
    private ScheduledFuture<?> nextTick;
    private CompletableFuture<?> reRegistering;

    Registration(RegistryClient client, Instance instance, RegisterResponse first, Listener listener) {
        this.client = client;
        this.instance = instance;
        this.listener = listener;
        this.callbacks = new CallbackQueue(client.callbackExecutor(), "registration of " + instance.getService() + "/" + instance.getId());
        synchronized (this) {
            accept(first);
            this.periodNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(100, ttlMs / 3));
            // an answer takes milliseconds (a relay adds one hop); half a period still leaves room for a
            // loaded leader, and gives the stream up early enough that two cut-off members in a row
            // cost 2/3 of the TTL, not all of it
            this.answerTimeoutNanos = Math.min(Math.max(TimeUnit.MILLISECONDS.toNanos(100), periodNanos / 2),
                    client.retryPolicy().attemptTimeout().toNanos());
            scheduleTick(periodNanos);
            callbacks.add(() -> listener.onRegistered(first));
        }
        callbacks.drain();
    }

    private void accept(RegisterResponse r) {
        leaseId = r.getLeaseId();
        ttlMs = r.getLeaseTtlMs();
        revision = r.getRevision();
        lastRenewNanos = client.ticker().nanoTime();
    }

    /** The instance as registered (with its id filled in). */
    public Instance instance() {
        return instance;
    }

    public synchronized long leaseId() {
        return leaseId;
    }

    /** Revision of the latest (re-)registration. */
    public synchronized long revision() {
        return revision;
    }

    public synchronized State state() {
        return state;
    }

    /** Time since the lease was last confirmed by the registry. */
    public synchronized long millisSinceRenewal() {
        return TimeUnit.NANOSECONDS.toMillis(client.ticker().nanoTime() - lastRenewNanos);
    }

    /** Reports the result of one of the instance's TTL checks (sent on the keep-alive stream). */
    public void report(String checkName, CheckResult result, String note) {
        synchronized (this) {
            send(KeepAliveRequest.newBuilder().setLeaseId(leaseId)
                    .addReports(CheckReport.newBuilder().setCheckName(checkName).setResult(result).setNote(note == null ? "" : note))
                    .build());
        }
    }

    /**
     * Takes this instance out of service, or puts it back ({@link RegistryClient#setMaintenanceAsync}):
     * while in maintenance it stays registered, its lease is kept alive and its checks run, but it
     * takes no traffic. A re-registration after a lost lease does not clear it (the registry keeps
     * the flag of an instance that re-registers; a lease that expired took the instance, and its
     * flag, away).
     *
     * <pre>{@code
     * reg.maintenance(true, "draining for deploy").join();
     * }</pre>
     */
    public CompletableFuture<io.muster.api.v1.SetMaintenanceResponse> maintenance(boolean enabled, String reason) {
        return client.setMaintenanceAsync(instance.getNamespace(), instance.getService(), instance.getId(), enabled, reason);
    }

    private void scheduleTick(long delayNanos) {
        if (nextTick != null) {
            nextTick.cancel(false);
        }
        try {
            nextTick = client.scheduler().schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // client closed
        }
    }

    /** On the scheduler: never blocks. */
    private void tick() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            scheduleTick(periodNanos);
            if (state == State.REREGISTERING) {
                return; // the registration in flight renews the lease when it answers
            }
            long now = client.ticker().nanoTime();
            long since = now - lastRenewNanos;
            if (state == State.ACTIVE && since > TimeUnit.MILLISECONDS.toNanos(ttlMs) / 2) {
                state = State.AT_RISK;
                Duration d = Duration.ofNanos(since);
                log.log(Level.WARNING, () -> "lease " + leaseId + " of " + instance.getService() + "/" + instance.getId()
                        + " not renewed for " + d.toMillis() + " ms (TTL " + ttlMs + " ms): at risk");
                callbacks.add(() -> listener.onLeaseAtRisk(d));
            }
            send(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
        }
        callbacks.drain();
    }

    /**
     * On the scheduler, the answer timeout after a keep-alive was sent on {@code r}: if it is still
     * unanswered, the stream is given up (cancelled) for the next member, and the keep-alive is sent
     * again there, promptly (a small jitter, so the clients of a member that froze do not all arrive
     * at the next one in the same instant), rather than at the next periodic tick.
     */
    private void answerOverdue(Responses r, long sentAt) {
        synchronized (this) {
            if (state == State.CLOSED || state == State.REREGISTERING || responses != r || stream == null || !unanswered
                    || unansweredSinceNanos != sentAt) {
                return; // answered, failed, or moved meanwhile
            }
            abandon(client.ticker().nanoTime());
            long jitterBound = answerTimeoutNanos / 10;
            scheduleTick(jitterBound > 0 ? client.random().nextLong(jitterBound + 1) : 0);
        }
    }

    /** Under the monitor: gives the unanswered stream up (cancelled); the next keep-alive opens a new one. */
    private void abandon(long now) {
        int index = responses.index;
        long unansweredMs = TimeUnit.NANOSECONDS.toMillis(now - unansweredSinceNanos);
        log.log(Level.INFO, () -> "keep-alive stream of lease " + leaseId + " to " + client.endpoints().target(index)
                + " unanswered for " + unansweredMs + " ms: moving to another member");
        stream = null;
        responses = null;
        unanswered = false;
        streamContext.cancel(null);
        client.endpoints().failover(index);
    }

    /** Under the monitor. */
    private void send(KeepAliveRequest request) {
        if (state == State.CLOSED) {
            return;
        }
        if (stream == null) {
            int index = client.endpoints().currentIndex();
            Responses r = new Responses(index);
            responses = r;
            Context.CancellableContext ctx = Context.ROOT.withCancellation();
            streamContext = ctx;
            Context previous = ctx.attach();
            try {
                stream = RegistryGrpc.newStub(client.endpoints().channel(index)).keepAlive(r);
            } finally {
                ctx.detach(previous);
            }
            unanswered = false;
        }
        if (!unanswered) {
            // before sending: an in-process answer may arrive inside onNext, on this thread
            unanswered = true;
            long sentAt = client.ticker().nanoTime();
            unansweredSinceNanos = sentAt;
            Responses r = responses;
            try {
                client.scheduler().schedule(() -> answerOverdue(r, sentAt), answerTimeoutNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // client closed
            }
        }
        stream.onNext(request);
    }

    private void reRegister() {
        // set before the call starts, so an answer that arrives at once finds it
        CompletableFuture<RegisterResponse> f = new CompletableFuture<>();
        reRegistering = f;
        client.registerOnceAsync(instance).whenComplete((r, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(r);
            }
        });
        f.whenComplete((r, e) -> {
            synchronized (this) {
                if (state == State.CLOSED || reRegistering != f) {
                    return;
                }
                reRegistering = null;
                if (e != null) {
                    // try again on a later tick; the lease is gone anyway
                    log.log(Level.WARNING, () -> "re-registering " + instance.getService() + "/" + instance.getId() + " failed: "
                            + Status.fromThrowable(e));
                    reRegisterLater();
                    return;
                }
                accept(r);
                state = State.ACTIVE;
                failures = 0;
                log.log(Level.INFO,
                        () -> "re-registered " + instance.getService() + "/" + instance.getId() + " with lease " + r.getLeaseId());
                callbacks.add(() -> listener.onRegistered(r));
            }
            callbacks.drain();
        });
    }

    /** Under the monitor: the next attempt after a backoff, scheduled (never waited for). */
    private void reRegisterLater() {
        try {
            client.scheduler().schedule(() -> {
                synchronized (this) {
                    if (state == State.REREGISTERING && reRegistering == null) {
                        reRegister();
                    }
                }
            }, client.retryPolicy().maxBackoff().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // client closed
        }
    }

    private final class Responses implements StreamObserver<KeepAliveResponse> {
        private final int index;

        Responses(int index) {
            this.index = index;
        }

        @Override
        public void onNext(KeepAliveResponse r) {
            synchronized (Registration.this) {
                if (state == State.CLOSED || responses != this) {
                    return;
                }
                failures = 0;
                unanswered = false;
                if (r.getFound()) {
                    lastRenewNanos = client.ticker().nanoTime();
                    if (state == State.AT_RISK) {
                        state = State.ACTIVE;
                        callbacks.add(listener::onLeaseRenewed);
                    }
                } else if (r.getLeaseId() == leaseId && state != State.REREGISTERING) {
                    state = State.REREGISTERING;
                    long lost = r.getLeaseId();
                    log.log(Level.WARNING, () -> "lease " + lost + " of " + instance.getService() + "/" + instance.getId()
                            + " is gone: registering again");
                    callbacks.add(() -> listener.onLeaseLost(lost));
                    reRegister();
                }
            }
            callbacks.drain();
        }

        @Override
        public void onError(Throwable t) {
            synchronized (Registration.this) {
                if (responses != this) {
                    return;
                }
                stream = null;
                responses = null;
                unanswered = false;
                if (state == State.CLOSED) {
                    return;
                }
                client.endpoints().failover(index);
                failures++;
                log.log(Level.DEBUG,
                        () -> "keep-alive stream to " + client.endpoints().target(index) + " failed (" + t + "), retrying");
                // the next keep-alive opens a new stream: sooner than the period, after a backoff
                long backoff = client.retryPolicy().backoffNanos(failures, client.random());
                if (backoff < periodNanos) {
                    scheduleTick(backoff);
                }
            }
        }

        @Override
        public void onCompleted() {
            onError(new IllegalStateException("keep-alive stream completed by the server"));
        }
    }

    /** Stops keeping the lease alive and deregisters the instance; completes when deregistered (or failed to). */
    public CompletableFuture<Void> closeAsync() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return CompletableFuture.completedFuture(null);
            }
            state = State.CLOSED;
            if (nextTick != null) {
                nextTick.cancel(false);
            }
            if (reRegistering != null) {
                reRegistering.cancel(true);
            }
            if (stream != null) {
                stream.onCompleted();
                stream = null;
                responses = null;
            }
            if (streamContext != null) {
                // let the half-close reach the server first; cancelling the context is the backstop
                Context.CancellableContext ctx = streamContext;
                try {
                    client.scheduler().schedule(() -> ctx.cancel(null), 1, TimeUnit.SECONDS);
                } catch (RejectedExecutionException e) {
                    ctx.cancel(null);
                }
            }
        }
        return client.deregisterAsync(instance.getNamespace(), instance.getService(), instance.getId()).handle((r, e) -> {
            if (e != null) {
                log.log(Level.WARNING, () -> "deregistering " + instance.getService() + "/" + instance.getId() + " failed ("
                        + Status.fromThrowable(e) + "); its lease will expire");
            }
            return null;
        });
    }

    /** Stops keeping the lease alive and deregisters the instance. */
    @Override
    public void close() {
        Retrier.join(closeAsync());
    }
}
