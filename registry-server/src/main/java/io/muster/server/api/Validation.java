package io.muster.server.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Namespaces;
import io.muster.server.catalog.Rules;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Request validation and normalization at the API: the rules are {@link Rules} (the same ones the
 * catalog applies to every command); this class only turns a violation into {@code INVALID_ARGUMENT}
 * with the field path, the offending value and the allowed range, e.g.
 * {@code instance.port: 70000 (expected: 1-65535)}.
 */
public final class Validation {

    public static final Pattern SERVICE = Rules.SERVICE;
    static final String SERVICE_RULE = Rules.SERVICE_RULE;
    public static final Pattern INSTANCE_ID = Rules.INSTANCE_ID;
    static final Pattern HOST = Rules.HOST;
    static final Pattern CHECK_NAME = Rules.CHECK_NAME;
    static final int MAX_TAGS = Rules.MAX_TAGS;
    static final int MAX_METADATA = Rules.MAX_METADATA;
    static final int MAX_CHECKS = Rules.MAX_CHECKS;
    static final int MAX_INSTANCE_BYTES = Rules.MAX_INSTANCE_BYTES;
    public static final long DEFAULT_TTL_MS = Rules.DEFAULT_TTL_MS;
    public static final long MIN_TTL_MS = Rules.MIN_TTL_MS;
    public static final long MAX_TTL_MS = Rules.MAX_TTL_MS;

    private Validation() {
    }

    static StatusRuntimeException invalid(String field, Object value, String expected) {
        return Status.INVALID_ARGUMENT.withDescription(Rules.message(field, value, expected)).asRuntimeException();
    }

    static boolean isServiceName(String s) {
        return Rules.isServiceName(s);
    }

    static boolean isInstanceId(String s) {
        return Rules.isInstanceId(s);
    }

    static boolean isHost(String s) {
        return Rules.isHost(s);
    }

    static boolean isCheckName(String s) {
        return Rules.isCheckName(s);
    }

    public static String service(String field, String name) {
        return mapped(() -> Rules.service(field, name));
    }

    /** The namespace a request names ({@code default} for empty), or INVALID_ARGUMENT naming {@code field}. */
    public static String namespace(String field, String ns) {
        return mapped(() -> Namespaces.check(field, ns));
    }

    /** As {@link #namespace}, and {@code *} (every namespace) is allowed. */
    public static String namespaceOrAll(String field, String ns) {
        return mapped(() -> Namespaces.checkOrAll(field, ns));
    }

    public static String requestId(String field, String id) {
        return mapped(() -> Rules.requestId(field, id));
    }

    public static String instanceId(String field, String id) {
        return mapped(() -> Rules.instanceId(field, id));
    }

    /** Validates a registration and fills in defaults; registry-owned fields are cleared. */
    public static Instance instance(Instance in) {
        return mapped(() -> Rules.instance(in));
    }

    static HealthCheck check(String field, HealthCheck c) {
        return mapped(() -> Rules.check(field, c));
    }

    public static CheckReport report(String field, CheckReport r) {
        return mapped(() -> Rules.report(field, r));
    }

    public static String maintenanceReason(String field, String reason) {
        return mapped(() -> Rules.maintenanceReason(field, reason));
    }

    public static long progressIntervalMs(int value) {
        return mapped(() -> Rules.progressIntervalMs(value));
    }

    public static long startRevision(long value) {
        return mapped(() -> Rules.startRevision(value));
    }

    private static <T> T mapped(Supplier<T> rule) {
        try {
            return rule.get();
        } catch (CommandRejectedException e) {
            throw GrpcErrors.toStatus(e);
        }
    }
}
