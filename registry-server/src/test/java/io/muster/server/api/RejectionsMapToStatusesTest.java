package io.muster.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rejection;
import io.muster.testkit.UnitTest;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** A command the catalog rejected reaches the caller as the status its kind names, with the field. */
@UnitTest
class RejectionsMapToStatusesTest {

    @Test
    void anInvalidCommandIsInvalidArgumentAndAStateItDoesNotFitIsFailedPrecondition() {
        Status invalid = GrpcErrors.toStatus(new CompletionException(new CommandRejectedException(Rejection.invalid(
                Rejection.Reason.INVALID_INSTANCE, "instance.port: 0 (expected: 1-65535)")))).getStatus();
        assertThat(invalid.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.getDescription()).isEqualTo("instance.port: 0 (expected: 1-65535)");
        Status precondition = GrpcErrors.toStatus(new CommandRejectedException(new Rejection(Rejection.Kind.FAILED_PRECONDITION,
                Rejection.Reason.RESTORE_NOT_EMPTY, "restore: catalog at revision 3 (expected: an empty catalog (revision 0))"))).getStatus();
        assertThat(precondition.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(precondition.getDescription()).startsWith("restore: catalog at revision 3");
        assertThat(GrpcErrors.retryable(new CommandRejectedException(Rejection.invalid(Rejection.Reason.NO_OPERATION, "x"))))
                .as("a rejection is an answer, not a failure to retry").isFalse();
    }
}
