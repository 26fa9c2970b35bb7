package io.muster.client;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/** Clients of a {@link FakeRegistry}: in-process channels, and for exact tests a fake clock and no jitter. */
final class FakeRegistryClients {

    /** Jitter that always picks the low end: a backoff is exactly half its capped value. */
    static final RandomGenerator NO_JITTER = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return 0;
        }
    };

    private FakeRegistryClients() {
    }

    static RegistryClient.Builder inProcess(String... members) {
        return RegistryClient.builder(members).channelBuilder(t -> InProcessChannelBuilder.forName(t).directExecutor());
    }

    /** Everything on the test's thread: gRPC, timers (when the clock moves) and listeners. */
    static RegistryClient exact(FakeClock clock, String... members) {
        return exact(clock, MoreExecutors.directExecutor(), members);
    }

    static RegistryClient exact(FakeClock clock, Executor callbacks, String... members) {
        return inProcess(members).scheduler(clock.scheduler()).ticker(clock).random(NO_JITTER).callbackExecutor(callbacks).build();
    }
}
