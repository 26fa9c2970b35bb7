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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/** Bulk registration for the memory and scale benchmarks: many {@code Register} calls in flight over a few channels. */
final class Registrations {

    private Registrations() {
    }

    /**
     * Registers {@code count} instances ({@code instance.apply(k)} for k = 0..count-1), {@code inFlight}
     * calls at a time, call k on channel k % channels; returns the lease ids by k. Throws if any call failed.
     */
    static long[] register(List<ManagedChannel> chs, int count, IntFunction<Instance> instance, int inFlight) throws InterruptedException {
        long[] leases = new long[count];
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(count);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong failed = new AtomicLong();
        for (int k = 0; k < count; k++) {
            window.acquire();
            int idx = k;
            RegistryGrpc.newStub(chs.get(k % chs.size())).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .register(RegisterRequest.newBuilder().setInstance(instance.apply(k)).build(), new StreamObserver<>() {
                        @Override
                        public void onNext(RegisterResponse r) {
                            leases[idx] = r.getLeaseId();
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
                    });
        }
        done.await();
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " registrations failed, e.g. " + errors);
        }
        return leases;
    }
}
