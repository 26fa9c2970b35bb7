package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A registration whose lease is gone re-registers while the registry does not answer Register; a
 * watch on the same client (the same scheduler thread) still resumes right away. Before the async
 * core, the re-registration parked that one thread for up to the 20 s retry budget.
 */
@UnitTest
class ALostLeaseDoesNotDelayAnotherWatchsResumeTest {

    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void aWatchResumesWhileALostLeaseIsBeingRegisteredAgain() throws Exception {
        registry.serve("m1:1");
        client = FakeRegistryClients.inProcess("m1:1").build();
        Registration reg = client.register(Instance.newBuilder().setService("orders").setId("o1").setHost("127.0.0.1").setPort(1)
                .setLeaseTtlMs(300).build());
        Watch w = client.watch(Set.of("payments"), 0, new EventLog());
        FakeRegistry.WatchCall first = registry.watches.poll(5, TimeUnit.SECONDS);
        first.send(FakeRegistry.snapshot(3));

        // from now on Register never answers (its attempts time out after 5 s each) and the lease is unknown
        registry.onRegister = (req, out) -> {
        };
        registry.leaseFound = false;
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> reg.state() == Registration.State.REREGISTERING);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> registry.registers.size() >= 2);

        long failedAt = System.nanoTime();
        first.fail(Status.UNAVAILABLE);
        FakeRegistry.WatchCall resumed = registry.watches.poll(2, TimeUnit.SECONDS);
        assertThat(resumed).as("the watch resumed while Register hangs").isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - failedAt)).isLessThan(Duration.ofSeconds(2));
        assertThat(resumed.request().getStartRevision()).isEqualTo(4);
        assertThat(reg.state()).isEqualTo(Registration.State.REREGISTERING);
        w.close();
    }
}
