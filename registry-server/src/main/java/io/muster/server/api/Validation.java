package io.muster.server.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Request validation and normalization. Every failure is {@code INVALID_ARGUMENT} with the field
 * path, the offending value and the allowed range, e.g. {@code instance.port: 70000 (expected: 1-65535)}.
 */
public final class Validation {

    public static final Pattern SERVICE = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?");
    static final String SERVICE_RULE = "1-64 chars of [a-z0-9.-], starting and ending with [a-z0-9]";
    public static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]%-]{1,253}");
    static final Pattern CHECK_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    static final int MAX_TAGS = 32;
    static final int MAX_METADATA = 64;
    static final int MAX_CHECKS = 8;
    static final int MAX_INSTANCE_BYTES = 64 * 1024;
    public static final long DEFAULT_TTL_MS = 10_000;
    public static final long MIN_TTL_MS = 1_000;
    public static final long MAX_TTL_MS = 3_600_000;

    private Validation() {
    }

    static StatusRuntimeException invalid(String field, Object value, String expected) {
        String v = String.valueOf(value);
        if (v.length() > 80) {
            v = v.substring(0, 80) + "...";
        }
        return Status.INVALID_ARGUMENT.withDescription(field + ": " + v + " (expected: " + expected + ")").asRuntimeException();
    }

    /** {@link #SERVICE} without a regex engine (this runs on every call's event loop). */
    static boolean isServiceName(String s) {
        int n = s.length();
        if (n < 1 || n > 64 || !lowerAlnum(s.charAt(0)) || !lowerAlnum(s.charAt(n - 1))) {
            return false;
        }
        for (int i = 1; i < n - 1; i++) {
            char c = s.charAt(i);
            if (!lowerAlnum(c) && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@link #INSTANCE_ID} without a regex engine. */
    static boolean isInstanceId(String s) {
        return isName(s, 128, "._:-");
    }

    /** {@link #HOST} without a regex engine. */
    static boolean isHost(String s) {
        return isName(s, 253, "._:[]%-");
    }

    /** {@link #CHECK_NAME} without a regex engine. */
    static boolean isCheckName(String s) {
        return isName(s, 64, "._-");
    }

    /** 1 to {@code maxLength} chars of [A-Za-z0-9] and {@code punctuation}. */
    private static boolean isName(String s, int maxLength, String punctuation) {
        int n = s.length();
        if (n < 1 || n > maxLength) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!lowerAlnum(c) && !(c >= 'A' && c <= 'Z') && punctuation.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean lowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    public static String service(String field, String name) {
        if (name == null || !isServiceName(name)) {
            throw invalid(field, "'" + name + "'", SERVICE_RULE);
        }
        return name;
    }

    public static String instanceId(String field, String id) {
        if (id == null || !isInstanceId(id)) {
            throw invalid(field, "'" + id + "'", "1-128 chars of [A-Za-z0-9._:-]");
        }
        return id;
    }

    private static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw invalid(field, value, min + "-" + max);
        }
        return value;
    }

    /** Validates a registration and fills in defaults; registry-owned fields are cleared. */
    public static Instance instance(Instance in) {
        if (in.getSerializedSize() > MAX_INSTANCE_BYTES) {
            throw invalid("instance", in.getSerializedSize() + " bytes", "at most " + MAX_INSTANCE_BYTES + " bytes");
        }
        service("instance.service", in.getService());
        String host = in.getHost();
        if (!isHost(host)) {
            throw invalid("instance.host", "'" + host + "'", "an IP address or DNS name, 1-253 chars");
        }
        range("instance.port", in.getPort(), 1, 65535);
        String id = in.getId().isEmpty() ? host + ":" + in.getPort() : in.getId();
        instanceId("instance.id", id);
        if (in.getTagsCount() > MAX_TAGS) {
            throw invalid("instance.tags", in.getTagsCount() + " tags", "at most " + MAX_TAGS);
        }
        for (int i = 0; i < in.getTagsCount(); i++) {
            String t = in.getTags(i);
            if (t.isEmpty() || t.length() > 64 || t.chars().anyMatch(Character::isWhitespace)) {
                throw invalid("instance.tags[" + i + "]", "'" + t + "'", "1-64 chars without whitespace");
            }
        }
        if (in.getMetadataCount() > MAX_METADATA) {
            throw invalid("instance.metadata", in.getMetadataCount() + " entries", "at most " + MAX_METADATA);
        }
        for (Map.Entry<String, String> e : in.getMetadataMap().entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().length() > 128) {
                throw invalid("instance.metadata key", "'" + e.getKey() + "'", "1-128 chars");
            }
            if (e.getValue().length() > 1024) {
                throw invalid("instance.metadata[" + e.getKey() + "]", e.getValue().length() + " chars", "at most 1024 chars");
            }
        }
        long weight = in.getWeight() == 0 ? 100 : range("instance.weight", in.getWeight(), 1, 10_000);
        if (in.getZone().length() > 64) {
            throw invalid("instance.zone", in.getZone().length() + " chars", "at most 64 chars");
        }
        long ttl = in.getLeaseTtlMs() == 0 ? DEFAULT_TTL_MS : range("instance.lease_ttl_ms", in.getLeaseTtlMs(), MIN_TTL_MS, MAX_TTL_MS);
        if (in.getInitialHealthValue() < 0 || in.getInitialHealthValue() > HealthStatus.UNHEALTHY_VALUE) {
            throw invalid("instance.initial_health", in.getInitialHealthValue(), "PENDING, HEALTHY, WARNING or UNHEALTHY");
        }
        if (in.getChecksCount() > MAX_CHECKS) {
            throw invalid("instance.checks", in.getChecksCount() + " checks", "at most " + MAX_CHECKS);
        }
        if (in.getChecksCount() == 0 && alreadyNormal(in, id, weight, ttl)) {
            return in; // nothing to fill in or clear: skip the copy (metadata map included)
        }
        Instance.Builder b = in.toBuilder()
                .setId(id)
                .setWeight((int) weight)
                .setLeaseTtlMs(ttl)
                .clearChecks()
                .clearLeaseId().clearHealth().clearHealthReason().clearHealthChangedAtMs()
                .clearCreateRevision().clearModRevision().clearRegisteredAtMs();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < in.getChecksCount(); i++) {
            HealthCheck c = check("instance.checks[" + i + "]", in.getChecks(i));
            if (!names.add(c.getName())) {
                throw invalid("instance.checks[" + i + "].name", "'" + c.getName() + "'", "unique within the instance");
            }
            b.addChecks(c);
        }
        return b.build();
    }

    /** True if {@code in} already carries its defaults and none of the registry-owned fields. */
    private static boolean alreadyNormal(Instance in, String id, long weight, long ttl) {
        return in.getId().equals(id) && in.getWeight() == weight && in.getLeaseTtlMs() == ttl
                && in.getLeaseId() == 0 && in.getHealthValue() == 0 && in.getHealthReason().isEmpty()
                && in.getHealthChangedAtMs() == 0 && in.getCreateRevision() == 0 && in.getModRevision() == 0
                && in.getRegisteredAtMs() == 0;
    }

    static HealthCheck check(String field, HealthCheck c) {
        HealthCheck.Builder b = c.toBuilder();
        String kind;
        switch (c.getKindCase()) {
            case HTTP -> {
                kind = "http";
                String path = c.getHttp().getPath().isEmpty() ? "/health" : c.getHttp().getPath();
                if (!path.startsWith("/") || path.length() > 1024) {
                    throw invalid(field + ".http.path", "'" + path + "'", "a path starting with / of at most 1024 chars");
                }
                range(field + ".http.port", c.getHttp().getPort(), 0, 65535);
                if (c.getHttp().getExpectedStatus() != 0) {
                    range(field + ".http.expected_status", c.getHttp().getExpectedStatus(), 100, 599);
                }
                String scheme = c.getHttp().getScheme().isEmpty() ? "http" : c.getHttp().getScheme();
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw invalid(field + ".http.scheme", "'" + scheme + "'", "http or https");
                }
                b.setHttp(c.getHttp().toBuilder().setPath(path).setScheme(scheme));
            }
            case TCP -> {
                kind = "tcp";
                range(field + ".tcp.port", c.getTcp().getPort(), 0, 65535);
            }
            case GRPC -> {
                kind = "grpc";
                range(field + ".grpc.port", c.getGrpc().getPort(), 0, 65535);
                if (c.getGrpc().getService().length() > 256) {
                    throw invalid(field + ".grpc.service", c.getGrpc().getService().length() + " chars", "at most 256 chars");
                }
            }
            case TTL -> {
                kind = "ttl";
                range(field + ".ttl.ttl_ms", c.getTtl().getTtlMs(), MIN_TTL_MS, MAX_TTL_MS);
            }
            case CUSTOM -> {
                kind = c.getCustom().getType();
                if (!isCheckName(kind)) {
                    throw invalid(field + ".custom.type", "'" + kind + "'", "1-64 chars of [A-Za-z0-9._-]");
                }
                if (c.getCustom().getConfigCount() > 32) {
                    throw invalid(field + ".custom.config", c.getCustom().getConfigCount() + " entries", "at most 32");
                }
            }
            default -> throw invalid(field, "no kind", "one of http, tcp, grpc, ttl, custom");
        }
        String name = c.getName().isEmpty() ? kind : c.getName();
        if (!isCheckName(name)) {
            throw invalid(field + ".name", "'" + name + "'", "1-64 chars of [A-Za-z0-9._-]");
        }
        long interval = c.getIntervalMs() == 0 ? 5_000 : range(field + ".interval_ms", c.getIntervalMs(), 100, 3_600_000);
        long timeout = c.getTimeoutMs() == 0 ? Math.min(2_000, interval)
                : range(field + ".timeout_ms", c.getTimeoutMs(), 50, Math.min(60_000, interval));
        long rise = c.getRise() == 0 ? 1 : range(field + ".rise", c.getRise(), 1, 100);
        long fall = c.getFall() == 0 ? 2 : range(field + ".fall", c.getFall(), 1, 100);
        return b.setName(name).setIntervalMs((int) interval).setTimeoutMs((int) timeout)
                .setRise((int) rise).setFall((int) fall).build();
    }

    public static CheckReport report(String field, CheckReport r) {
        if (r.getResult() == CheckResult.CHECK_RESULT_UNSPECIFIED || r.getResultValue() > CheckResult.FAIL_VALUE) {
            throw invalid(field + ".result", r.getResultValue(), "PASS, WARN or FAIL");
        }
        if (!r.getCheckName().isEmpty() && !isCheckName(r.getCheckName())) {
            throw invalid(field + ".check_name", "'" + r.getCheckName() + "'", "1-64 chars of [A-Za-z0-9._-]");
        }
        if (r.getNote().length() > 256) {
            throw invalid(field + ".note", r.getNote().length() + " chars", "at most 256 chars");
        }
        return r;
    }

    public static long progressIntervalMs(int value) {
        return value == 0 ? 5_000 : range("progress_interval_ms", value, 100, 600_000);
    }

    public static long startRevision(long value) {
        return range("start_revision", value, 0, Long.MAX_VALUE);
    }
}
