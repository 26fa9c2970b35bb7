package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Unary calls with a fake clock and no jitter: each backoff is a task on the scheduler (nothing
 * waits on a thread), the next attempt goes to the next member, and the budget ends the retries.
 */
@UnitTest
class RetriesAreScheduledExactlyTest {

    FakeClock clock = new FakeClock();
    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;
    static final Instance ORDER = Instance.newBuilder().setService("orders").setId("o1").setHost("127.0.0.1").setPort(1).build();

    @BeforeEach
    void start() throws Exception {
        registry.serve("up:1");
        client = FakeRegistryClients.exact(clock, "down:1", "up:1");
    }

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void aFailedAttemptIsRetriedOnTheNextMemberAfterAScheduledBackoff() throws Exception {
        CompletableFuture<RegisterResponse> f = client.registerOnceAsync(ORDER);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> clock.pendingTasks() == 1);
        assertThat(f).as("the first member is down: waiting for the backoff").isNotDone();
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofMillis(25));
        assertThat(registry.registers).isEmpty();

        clock.forwardTime(Duration.ofMillis(24));
        assertThat(f).isNotDone();
        clock.forwardTime(Duration.ofMillis(1));
        assertThat(f).isCompleted();
        assertThat(f.get().getLeaseId()).isEqualTo(1);
        assertThat(registry.registers).containsExactly("up:1");
    }

    @Test
    void retriesStopWhenTheBudgetCannotFitAnotherAttempt() {
        client.close();
        client = FakeRegistryClients.exact(clock, "up:1");
        registry.onRegister = (req, out) -> out.onError(Status.UNAVAILABLE.withDescription("no leader").asRuntimeException());
        long start = clock.nanoTime();
        CompletableFuture<RegisterResponse> f = client.registerOnceAsync(ORDER);
        while (!f.isDone()) {
            clock.forwardTime(clock.pendingDelays().get(0));
        }
        // backoffs 25, 50, ... 800 ms, then 1 s; the 24th failure at 18.575 s leaves less than
        // backoff + a tenth of the attempt timeout inside the 20 s budget
        assertThat(registry.registers).hasSize(24);
        assertThat(Duration.ofNanos(clock.nanoTime() - start)).isEqualTo(Duration.ofMillis(18_575));
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("UNAVAILABLE: no leader");
    }

    @Test
    void aStatusNoRetryCanFixFailsAtOnce() {
        client.close();
        client = FakeRegistryClients.exact(clock, "up:1");
        registry.onRegister = (req, out) -> out.onError(Status.INVALID_ARGUMENT.withDescription("port: 0").asRuntimeException());
        assertThatThrownBy(() -> client.registerOnce(ORDER)).isInstanceOf(StatusRuntimeException.class)
                .hasMessageContaining("INVALID_ARGUMENT: port: 0");
        assertThat(clock.pendingTasks()).isZero();
    }
}
