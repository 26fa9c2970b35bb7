package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.testkit.UnitTest;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** A view whose watch the registry rejects (a bad name) fails {@code whenReady()} with the status. */
@UnitTest
class WhenReadyFailsOnAStatusNoRetryCanFixTest {

    @Test
    void invalidArgumentCompletesWhenReadyExceptionally() throws Exception {
        try (FakeRegistry registry = new FakeRegistry().serve("m1:1");
             RegistryClient client = FakeRegistryClients.inProcess("m1:1").build();
             ServiceView view = client.serviceView("Bad_Name")) {
            registry.watches.poll(5, TimeUnit.SECONDS)
                    .fail(Status.INVALID_ARGUMENT.withDescription("services[0]: 'Bad_Name' (expected: [a-z0-9.-]{1,128})"));
            Assertions.assertThatThrownBy(() -> view.whenReady().get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("Bad_Name");
        }
    }
}
