package io.muster.client.cli;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.muster.api.Causes;

/**
 * The exit codes of {@code muster}, so a script can tell "fix the command" from "retry later" from
 * "it is not there" (docs/cli.md lists them). Every gRPC status maps here and nowhere else.
 */
final class ExitCode {
    /** The command did what was asked. */
    static final int OK = 0;
    /** The server failed or refused for a reason not below (INTERNAL, FAILED_PRECONDITION, ...), or a local I/O error. */
    static final int ERROR = 1;
    /** The command line or a value in it is invalid (picocli's usage errors, INVALID_ARGUMENT, OUT_OF_RANGE): fix it, do not retry. */
    static final int USAGE = 2;
    /** What the command names does not exist (NOT_FOUND, e.g. deregister of an unknown instance). */
    static final int NOT_FOUND = 3;
    /** No member answered in time (UNAVAILABLE, DEADLINE_EXCEEDED) or an endpoint is unhealthy: retry later or elsewhere. */
    static final int UNAVAILABLE = 4;
    /** The server refused the caller (PERMISSION_DENIED, UNAUTHENTICATED). */
    static final int PERMISSION = 5;

    private ExitCode() {
    }

    static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> USAGE;
            case NOT_FOUND -> NOT_FOUND;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> UNAVAILABLE;
            case PERMISSION_DENIED, UNAUTHENTICATED -> PERMISSION;
            default -> ERROR;
        };
    }

    /** The gRPC status behind {@code t}, or null if it is not a gRPC failure. */
    static Status statusOf(Throwable t) {
        Throwable cause = Causes.unwrap(t);
        if (cause instanceof StatusRuntimeException sre) {
            return sre.getStatus();
        }
        if (cause instanceof StatusException se) {
            return se.getStatus();
        }
        return null;
    }
}
