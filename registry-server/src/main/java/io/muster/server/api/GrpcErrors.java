package io.muster.server.api;

import io.muster.api.Causes;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rejection;
import io.muster.server.raft.NotLeaderException;
import io.muster.server.raft.RaftBusyException;
import io.muster.server.raft.RaftRefusedException;
import io.muster.server.raft.RaftUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps internal failures to gRPC statuses a client can act on. */
final class GrpcErrors {
    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(Throwable t) {
        t = Causes.unwrap(t);
        if (t instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (t instanceof io.grpc.StatusException se) {
            return se.getStatus().asRuntimeException(se.getTrailers());
        }
        if (t instanceof CommandRejectedException cre) {
            return toStatus(cre.rejection()).asRuntimeException();
        }
        if (t instanceof NotLeaderException nle) {
            return Status.UNAVAILABLE.withDescription("not the leader"
                    + (nle.leaderRaftAddress() == null ? "" : "; leader is " + nle.leaderRaftAddress())
                    + ": " + nle.getMessage()).asRuntimeException();
        }
        if (t instanceof RaftRefusedException) {
            return Status.FAILED_PRECONDITION.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof RaftBusyException) {
            // two snapshots at once: the second is refused, and the caller retries it later
            return Status.ABORTED.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof RaftUnavailableException) {
            return Status.UNAVAILABLE.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(t.getMessage()).asRuntimeException();
        }
        log.warn("unexpected failure serving a call", t);
        return Status.INTERNAL.withDescription(t.toString()).withCause(t).asRuntimeException();
    }

    /** A command the model refused: the caller's mistake, or a state the command does not fit. */
    static Status toStatus(Rejection r) {
        Status code = switch (r.kind()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case NOT_FOUND -> Status.NOT_FOUND;
        };
        return code.withDescription(r.message());
    }

    static boolean retryable(Throwable t) {
        t = Causes.unwrap(t);
        if (t instanceof NotLeaderException || t instanceof RaftUnavailableException) {
            return true;
        }
        Status s = Status.fromThrowable(t);
        return s.getCode() == Status.Code.UNAVAILABLE;
    }

    static <T> void complete(StreamObserver<T> observer, T value, Throwable error) {
        if (error != null) {
            observer.onError(toStatus(error));
        } else {
            observer.onNext(value);
            observer.onCompleted();
        }
    }
}
