package io.muster.server.http;

import com.google.gson.JsonObject;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponseStatus;

/** gRPC statuses as HTTP answers: the status code mapped, the gRPC code and message kept in the body. */
final class HttpErrors {

    private HttpErrors() {
    }

    static HttpResponseStatus httpStatus(Status.Code code) {
        return switch (code) {
            case OK -> HttpResponseStatus.OK;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> HttpResponseStatus.BAD_REQUEST;
            case UNAUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
            case PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED -> HttpResponseStatus.CONFLICT;
            case RESOURCE_EXHAUSTED -> HttpResponseStatus.TOO_MANY_REQUESTS;
            case UNIMPLEMENTED -> HttpResponseStatus.NOT_IMPLEMENTED;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case DEADLINE_EXCEEDED -> HttpResponseStatus.GATEWAY_TIMEOUT;
            default -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }

    /** {@code {"code": "INVALID_ARGUMENT", "message": "instance.port: 70000 (expected: 1-65535)"}} */
    static String body(Status status) {
        JsonObject o = new JsonObject();
        o.addProperty("code", status.getCode().name());
        o.addProperty("message", status.getDescription() == null ? status.getCode().name() : status.getDescription());
        return o.toString();
    }

    /** A request the HTTP layer refuses itself (a path parameter, a header, the body's JSON): INVALID_ARGUMENT. */
    static Status invalid(String field, Object value, String expected) {
        return Status.INVALID_ARGUMENT.withDescription(field + ": " + value + " (expected: " + expected + ")");
    }
}
