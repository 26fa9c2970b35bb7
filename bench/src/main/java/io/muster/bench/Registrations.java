package io.muster.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/** Bulk registration for the memory and scale benchmarks: many {@code Register} calls in flight over a few channels. */
final class Registrations {

    private Registrations() {
    }

    /** Calls retried after UNAVAILABLE or DEADLINE_EXCEEDED (a leader change under load), since the JVM started. */
    static final AtomicLong RETRIED = new AtomicLong();

    private static final int MAX_ATTEMPTS = 20;
    private static final ScheduledExecutorService BACKOFF = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registrations-backoff");
        t.setDaemon(true);
        return t;
    });

    /**
     * Registers {@code count} instances ({@code instance.apply(k)} for k = 0..count-1), {@code inFlight}
     * calls at a time, call k on channel k % channels; returns the lease ids by k. A call that fails
     * with UNAVAILABLE or DEADLINE_EXCEEDED is sent again after 200 ms, as a client retries a write
     * whose member lost its leader (up to 20 times; a register is idempotent). Throws if any call failed.
     */
    static long[] register(List<ManagedChannel> chs, int count, IntFunction<Instance> instance, int inFlight) throws InterruptedException {
        long[] leases = new long[count];
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(count);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong failed = new AtomicLong();
        for (int k = 0; k < count; k++) {
            window.acquire();
            send(chs.get(k % chs.size()), RegisterRequest.newBuilder().setInstance(instance.apply(k)).build(), 1, new StreamObserver<>() {
                @Override
                public void onNext(RegisterResponse r) {
                }

                @Override
                public void onError(Throwable t) {
                    if (failed.incrementAndGet() <= 5) {
                        errors.add(Status.fromThrowable(t).toString());
                    }
                    window.release();
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    window.release();
                    done.countDown();
                }
            }, leases, k);
        }
        done.await();
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " registrations failed, e.g. " + errors);
        }
        return leases;
    }

    private static void send(ManagedChannel ch, RegisterRequest req, int attempt, StreamObserver<RegisterResponse> outcome, long[] leases, int idx) {
        RegistryGrpc.newStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).register(req, new StreamObserver<>() {
            @Override
            public void onNext(RegisterResponse r) {
                leases[idx] = r.getLeaseId();
            }

            @Override
            public void onError(Throwable t) {
                Status.Code code = Status.fromThrowable(t).getCode();
                if ((code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) && attempt < MAX_ATTEMPTS) {
                    RETRIED.incrementAndGet();
                    BACKOFF.schedule(() -> send(ch, req, attempt + 1, outcome, leases, idx), 200, TimeUnit.MILLISECONDS);
                } else {
                    outcome.onError(t);
                }
            }

            @Override
            public void onCompleted() {
                outcome.onCompleted();
            }
        });
    }
}
