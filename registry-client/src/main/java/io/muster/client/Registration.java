package io.muster.client;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered instance whose lease is kept alive in the background (a keep-alive every TTL/3 on a
 * stream to any member, relayed to the leader). If the stream breaks it reconnects to the next
 * member; if the registry says the lease is gone it registers the instance again. {@link #close()}
 * stops the keep-alives and deregisters.
 */
public final class Registration implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Registration.class);

    /** Lifecycle notifications; called on the client's scheduler or gRPC threads. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** The registry no longer knew the lease; the instance is being registered again. */
        default void onLeaseLost(long leaseId) {
        }

        default void onRegistered(RegisterResponse response) {
        }
    }

    private final RegistryClient client;
    private final Instance instance;
    private final Listener listener;
    private final ScheduledFuture<?> ticker;
    private final AtomicInteger failures = new AtomicInteger();
    private volatile long leaseId;
    private volatile long ttlMs;
    private volatile long revision;
    private volatile long lastRenewNanos;
    private volatile boolean reRegister;
    private volatile boolean closed;
    private StreamObserver<KeepAliveRequest> stream;
    private int streamIndex;

    Registration(RegistryClient client, Instance instance, RegisterResponse first, Listener listener) {
        this.client = client;
        this.instance = instance;
        this.listener = listener;
        accept(first);
        long period = Math.max(100, ttlMs / 3);
        this.ticker = client.scheduler().scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
        listener.onRegistered(first);
    }

    private void accept(RegisterResponse r) {
        leaseId = r.getLeaseId();
        ttlMs = r.getLeaseTtlMs();
        revision = r.getRevision();
        lastRenewNanos = System.nanoTime();
    }

    /** The instance as registered (with its id filled in). */
    public Instance instance() {
        return instance;
    }

    public long leaseId() {
        return leaseId;
    }

    /** Revision of the latest (re-)registration. */
    public long revision() {
        return revision;
    }

    /** Time since the lease was last confirmed by the registry. */
    public long millisSinceRenewal() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRenewNanos);
    }

    /** Reports the result of one of the instance's TTL checks (sent on the keep-alive stream). */
    public void report(String checkName, CheckResult result, String note) {
        send(KeepAliveRequest.newBuilder().setLeaseId(leaseId)
                .addReports(CheckReport.newBuilder().setCheckName(checkName).setResult(result).setNote(note == null ? "" : note))
                .build());
    }

    private void tick() {
        if (closed) {
            return;
        }
        if (reRegister) {
            try {
                RegisterResponse r = client.registerOnce(instance);
                accept(r);
                reRegister = false;
                log.info("re-registered {}/{} with lease {}", instance.getService(), instance.getId(), r.getLeaseId());
                listener.onRegistered(r);
            } catch (StatusRuntimeException e) {
                log.warn("re-registering {}/{} failed: {}", instance.getService(), instance.getId(), e.getStatus());
                return;
            }
        }
        send(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    }

    private synchronized void send(KeepAliveRequest request) {
        if (closed) {
            return;
        }
        if (stream == null) {
            int index = client.endpoints().currentIndex();
            streamIndex = index;
            stream = RegistryGrpc.newStub(client.endpoints().channel(index)).keepAlive(new Responses(index));
        }
        stream.onNext(request);
    }

    private final class Responses implements StreamObserver<KeepAliveResponse> {
        private final int index;

        Responses(int index) {
            this.index = index;
        }

        @Override
        public void onNext(KeepAliveResponse r) {
            failures.set(0);
            if (r.getFound()) {
                lastRenewNanos = System.nanoTime();
            } else if (r.getLeaseId() == leaseId && !reRegister) {
                reRegister = true;
                log.warn("lease {} of {}/{} is gone: registering again", leaseId, instance.getService(), instance.getId());
                listener.onLeaseLost(r.getLeaseId());
                schedule(0);
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (Registration.this) {
                if (streamIndex == index) {
                    stream = null;
                }
            }
            if (closed) {
                return;
            }
            client.endpoints().failover(index);
            int n = failures.incrementAndGet();
            log.debug("keep-alive stream to {} failed ({}), retrying", client.endpoints().target(index), t.toString());
            schedule(client.retryPolicy().backoffNanos(n));
        }

        @Override
        public void onCompleted() {
            onError(new IllegalStateException("keep-alive stream completed by the server"));
        }
    }

    private void schedule(long delayNanos) {
        try {
            client.scheduler().schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // client closed
        }
    }

    /** Stops keeping the lease alive and deregisters the instance. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ticker.cancel(false);
            if (stream != null) {
                stream.onCompleted();
                stream = null;
            }
        }
        try {
            client.deregister(instance.getService(), instance.getId());
        } catch (StatusRuntimeException e) {
            log.warn("deregistering {}/{} failed ({}); its lease will expire", instance.getService(), instance.getId(), e.getStatus());
        }
    }
}
