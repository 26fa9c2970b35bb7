package io.muster.server.catalog;

import com.google.common.net.HostAndPort;
import io.muster.api.HostPorts;

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
 * The rules of the model, in one place: the API checks requests with them before proposing, and the
 * catalog checks every command with them again when it applies it, so a command that skipped the API
 * (an internal proposal, a log written by an older or broken member) cannot enter the catalog.
 *
 * <p>Every violation is a {@link CommandRejectedException} whose message names the field, the
 * offending value and the allowed range, e.g. {@code instance.port: 70000 (expected: 1-65535)}.
 * Pure functions: no clock, no state, safe on any thread.
 */
public final class Rules {

    public static final Pattern SERVICE = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?");
    public static final String SERVICE_RULE = "1-64 chars of [a-z0-9.-], starting and ending with [a-z0-9]";
    public static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    public static final String INSTANCE_ID_RULE = "1-128 chars of [A-Za-z0-9._:-]";
    public static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]%-]{1,253}");
    public static final Pattern CHECK_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    public static final Pattern MEMBER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    public static final int MAX_TAGS = 32;
    public static final int MAX_TAG_CHARS = 64;
    public static final int MAX_METADATA = 64;
    public static final int MAX_METADATA_KEY_CHARS = 128;
    public static final int MAX_METADATA_VALUE_CHARS = 1024;
    public static final int MAX_CHECKS = 8;
    public static final int MAX_CUSTOM_CONFIG = 32;
    public static final int MAX_CUSTOM_CONFIG_KEY_CHARS = 64;
    /** Keys and values of one custom check's config together: one long value (a URL, a query) may take most of it. */
    public static final int MAX_CUSTOM_CONFIG_CHARS = 4096;
    /**
     * The largest serialized instance. Every field at its documented maximum in ASCII (32 tags, 64
     * metadata entries of 128 + 1024 chars, 8 checks with full custom configs) fits;
     * {@code DocumentedMaximaFitTest} builds that instance. A member may configure a lower limit at
     * its API, never a higher one.
     */
    public static final int MAX_INSTANCE_BYTES = 128 * 1024;
    public static final int MAX_HEALTH_REASON_CHARS = 4096;
    public static final int MAX_MAINTENANCE_REASON_CHARS = 1024;
    public static final long DEFAULT_WEIGHT = 100;
    public static final long MAX_WEIGHT = 10_000;
    public static final long DEFAULT_TTL_MS = 10_000;
    public static final long MIN_TTL_MS = 1_000;
    public static final long MAX_TTL_MS = 3_600_000;

    private Rules() {
    }

    /** The violation of one rule: {@code field: value (expected: expected)}, value cut at 80 chars. */
    public static CommandRejectedException invalid(String field, Object value, String expected) {
        return new CommandRejectedException(Rejection.invalid(Rejection.Reason.INVALID_REQUEST, message(field, value, expected)));
    }

    public static String message(String field, Object value, String expected) {
        String v = String.valueOf(value);
        if (v.length() > 80) {
            v = v.substring(0, 80) + "...";
        }
        return field + ": " + v + " (expected: " + expected + ")";
    }

    /** {@link #SERVICE} without a regex engine (this runs on every call's event loop). */
    public static boolean isServiceName(String s) {
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
    public static boolean isInstanceId(String s) {
        return isName(s, 128, "._:-");
    }

    /** {@link #HOST} without a regex engine. */
    public static boolean isHost(String s) {
        return isName(s, 253, "._:[]%-");
    }

    /** {@link #CHECK_NAME} without a regex engine. */
    public static boolean isCheckName(String s) {
        return isName(s, 64, "._-");
    }

    /** {@link #MEMBER_ID} without a regex engine. */
    public static boolean isMemberId(String s) {
        return !s.isEmpty() && s.charAt(0) != '_' && s.charAt(0) != '.' && s.charAt(0) != '-' && isName(s, 63, "_.-");
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

    public static final String REQUEST_ID_RULE = "empty, or 1-64 chars of [A-Za-z0-9._-]";

    /** A write's request id: optional (empty), else a short name that keeps its retries together. */
    public static String requestId(String field, String id) {
        if (id == null || (!id.isEmpty() && !isName(id, 64, "._-"))) {
            throw invalid(field, "'" + id + "'", REQUEST_ID_RULE);
        }
        return id;
    }

    public static String instanceId(String field, String id) {
        if (id == null || !isInstanceId(id)) {
            throw invalid(field, "'" + id + "'", INSTANCE_ID_RULE);
        }
        return id;
    }

    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw invalid(field, value, min + "-" + max);
        }
        return value;
    }

    /** A protobuf {@code uint32}: Java sees it as a signed int, so 2^32-1 would read as -1. */
    public static long unsignedRange(String field, int value, long min, long max) {
        return range(field, Integer.toUnsignedLong(value), min, max);
    }

    /**
     * {@code host:port} (IPv6 in brackets), as member addresses are written. The host may also hold
     * {@code _} (container host names often do), unlike an instance's host.
     */
    public static String hostPort(String field, String address) {
        HostAndPort hp;
        try {
            hp = HostPorts.parse(field, address);
        } catch (IllegalArgumentException e) {
            throw invalid(field, "'" + address + "'", HostPorts.EXPECTED);
        }
        if (!isName(hp.getHost(), 253, "._:%_-")) {
            throw invalid(field, "'" + address + "'", HostPorts.EXPECTED);
        }
        return address;
    }

    /** Validates a registration and fills in defaults; registry-owned fields are cleared. */
    public static Instance instance(Instance in) {
        if (in.getSerializedSize() > MAX_INSTANCE_BYTES) {
            throw invalid("instance", in.getSerializedSize() + " bytes", "at most " + MAX_INSTANCE_BYTES + " bytes");
        }
        service("instance.service", in.getService());
        String namespace = Namespaces.check("instance.namespace", in.getNamespace());
        String host = in.getHost();
        if (!isHost(host)) {
            throw invalid("instance.host", "'" + host + "'", "an IP address or DNS name, 1-253 chars");
        }
        unsignedRange("instance.port", in.getPort(), 1, 65535);
        String id = in.getId().isEmpty() ? host + ":" + in.getPort() : in.getId();
        instanceId("instance.id", id);
        if (in.getTagsCount() > MAX_TAGS) {
            throw invalid("instance.tags", in.getTagsCount() + " tags", "at most " + MAX_TAGS);
        }
        for (int i = 0; i < in.getTagsCount(); i++) {
            String t = in.getTags(i);
            if (t.isEmpty() || t.length() > MAX_TAG_CHARS || t.chars().anyMatch(Character::isWhitespace)) {
                throw invalid("instance.tags[" + i + "]", "'" + t + "'", "1-64 chars without whitespace");
            }
        }
        if (in.getMetadataCount() > MAX_METADATA) {
            throw invalid("instance.metadata", in.getMetadataCount() + " entries", "at most " + MAX_METADATA);
        }
        for (Map.Entry<String, String> e : in.getMetadataMap().entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().length() > MAX_METADATA_KEY_CHARS) {
                throw invalid("instance.metadata key", "'" + e.getKey() + "'", "1-128 chars");
            }
            if (e.getValue().length() > MAX_METADATA_VALUE_CHARS) {
                throw invalid("instance.metadata[" + e.getKey() + "]", e.getValue().length() + " chars", "at most 1024 chars");
            }
        }
        long weight = in.getWeight() == 0 ? DEFAULT_WEIGHT : unsignedRange("instance.weight", in.getWeight(), 1, MAX_WEIGHT);
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
        if (in.getChecksCount() == 0 && alreadyNormal(in, id, weight, ttl) && !in.getNamespace().isEmpty()) {
            return in; // nothing to fill in or clear: skip the copy (metadata map included)
        }
        Instance.Builder b = in.toBuilder()
                .setId(id)
                .setNamespace(namespace)
                .setWeight((int) weight)
                .setLeaseTtlMs(ttl)
                .clearChecks()
                .clearLeaseId().clearHealth().clearHealthReason().clearHealthChangedAtMs()
                .clearCreateRevision().clearModRevision().clearRegisteredAtMs()
                .clearMaintenance().clearMaintenanceReason().clearMaintenanceChangedAtMs();
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

    /**
     * The instance of a replicated {@code RegisterCmd}: the leader normalized it, so it names its id
     * (an empty one is not derived again here); every rule of {@link #instance} holds.
     */
    public static Instance registered(Instance in) {
        if (in.getId().isEmpty()) {
            throw invalid("instance.id", "''", INSTANCE_ID_RULE);
        }
        return instance(in);
    }

    /** True if {@code in} already carries its defaults and none of the registry-owned fields. */
    private static boolean alreadyNormal(Instance in, String id, long weight, long ttl) {
        return in.getId().equals(id) && in.getWeight() == weight && in.getLeaseTtlMs() == ttl
                && in.getLeaseId() == 0 && in.getHealthValue() == 0 && in.getHealthReason().isEmpty()
                && in.getHealthChangedAtMs() == 0 && in.getCreateRevision() == 0 && in.getModRevision() == 0
                && in.getRegisteredAtMs() == 0 && !in.getMaintenance() && in.getMaintenanceReason().isEmpty()
                && in.getMaintenanceChangedAtMs() == 0;
    }

    public static HealthCheck check(String field, HealthCheck c) {
        HealthCheck.Builder b = c.toBuilder();
        String kind;
        switch (c.getKindCase()) {
            case HTTP -> {
                kind = "http";
                String path = c.getHttp().getPath().isEmpty() ? "/health" : c.getHttp().getPath();
                if (!path.startsWith("/") || path.length() > 1024) {
                    throw invalid(field + ".http.path", "'" + path + "'", "a path starting with / of at most 1024 chars");
                }
                unsignedRange(field + ".http.port", c.getHttp().getPort(), 0, 65535);
                if (c.getHttp().getExpectedStatus() != 0) {
                    unsignedRange(field + ".http.expected_status", c.getHttp().getExpectedStatus(), 100, 599);
                }
                String scheme = c.getHttp().getScheme().isEmpty() ? "http" : c.getHttp().getScheme();
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw invalid(field + ".http.scheme", "'" + scheme + "'", "http or https");
                }
                String method = c.getHttp().getMethod().isEmpty() ? "GET" : c.getHttp().getMethod();
                if (!HTTP_METHODS.contains(method)) {
                    throw invalid(field + ".http.method", "'" + method + "'", String.join(", ", HTTP_METHODS));
                }
                httpHeaders(field + ".http.headers", c.getHttp().getHeadersMap());
                if (c.getHttp().getExpectedStatusesCount() > MAX_EXPECTED_STATUSES) {
                    throw invalid(field + ".http.expected_statuses", c.getHttp().getExpectedStatusesCount() + " statuses",
                            "at most " + MAX_EXPECTED_STATUSES);
                }
                for (int s = 0; s < c.getHttp().getExpectedStatusesCount(); s++) {
                    unsignedRange(field + ".http.expected_statuses[" + s + "]", c.getHttp().getExpectedStatuses(s), 100, 599);
                }
                if (c.getHttp().getExpectedBody().length() > MAX_EXPECTED_BODY_CHARS) {
                    throw invalid(field + ".http.expected_body", c.getHttp().getExpectedBody().length() + " chars",
                            "at most " + MAX_EXPECTED_BODY_CHARS + " chars");
                }
                boolean tlsOptions = !c.getHttp().getTlsCaPem().isEmpty() || c.getHttp().getTlsSkipVerify();
                if (tlsOptions && !scheme.equals("https")) {
                    throw invalid(field + ".http.scheme", "'" + scheme + "'", "https when tls_ca_pem or tls_skip_verify is set");
                }
                tlsOptions(field + ".http", c.getHttp().getTlsCaPem(), c.getHttp().getTlsSkipVerify());
                long optionChars = c.getHttp().getExpectedBody().length() + c.getHttp().getTlsCaPem().length();
                for (Map.Entry<String, String> e : c.getHttp().getHeadersMap().entrySet()) {
                    optionChars += e.getKey().length() + e.getValue().length();
                }
                if (optionChars > MAX_CHECK_OPTION_CHARS) {
                    throw invalid(field + ".http", optionChars + " chars of headers, expected_body and tls_ca_pem",
                            "at most " + MAX_CHECK_OPTION_CHARS + " chars together");
                }
                b.setHttp(c.getHttp().toBuilder().setPath(path).setScheme(scheme).setMethod(method));
            }
            case TCP -> {
                kind = "tcp";
                unsignedRange(field + ".tcp.port", c.getTcp().getPort(), 0, 65535);
            }
            case GRPC -> {
                kind = "grpc";
                unsignedRange(field + ".grpc.port", c.getGrpc().getPort(), 0, 65535);
                if (c.getGrpc().getService().length() > 256) {
                    throw invalid(field + ".grpc.service", c.getGrpc().getService().length() + " chars", "at most 256 chars");
                }
                boolean tlsOptions = !c.getGrpc().getTlsCaPem().isEmpty() || c.getGrpc().getTlsSkipVerify();
                if (tlsOptions && !c.getGrpc().getUseTls()) {
                    throw invalid(field + ".grpc.use_tls", "false", "true when tls_ca_pem or tls_skip_verify is set");
                }
                tlsOptions(field + ".grpc", c.getGrpc().getTlsCaPem(), c.getGrpc().getTlsSkipVerify());
            }
            case TTL -> {
                kind = "ttl";
                unsignedRange(field + ".ttl.ttl_ms", c.getTtl().getTtlMs(), MIN_TTL_MS, MAX_TTL_MS);
            }
            case CUSTOM -> {
                kind = c.getCustom().getType();
                if (!isCheckName(kind)) {
                    throw invalid(field + ".custom.type", "'" + kind + "'", "1-64 chars of [A-Za-z0-9._-]");
                }
                if (c.getCustom().getConfigCount() > MAX_CUSTOM_CONFIG) {
                    throw invalid(field + ".custom.config", c.getCustom().getConfigCount() + " entries", "at most " + MAX_CUSTOM_CONFIG);
                }
                long chars = 0;
                for (Map.Entry<String, String> e : c.getCustom().getConfigMap().entrySet()) {
                    if (e.getKey().isEmpty() || e.getKey().length() > MAX_CUSTOM_CONFIG_KEY_CHARS) {
                        throw invalid(field + ".custom.config key", "'" + e.getKey() + "'", "1-" + MAX_CUSTOM_CONFIG_KEY_CHARS + " chars");
                    }
                    chars += e.getKey().length() + e.getValue().length();
                }
                if (chars > MAX_CUSTOM_CONFIG_CHARS) {
                    throw invalid(field + ".custom.config", chars + " chars", "at most " + MAX_CUSTOM_CONFIG_CHARS + " chars of keys and values");
                }
            }
            default -> throw invalid(field, "no kind", "one of http, tcp, grpc, ttl, custom");
        }
        String name = c.getName().isEmpty() ? kind : c.getName();
        if (!isCheckName(name)) {
            throw invalid(field + ".name", "'" + name + "'", "1-64 chars of [A-Za-z0-9._-]");
        }
        long interval = c.getIntervalMs() == 0 ? 5_000 : unsignedRange(field + ".interval_ms", c.getIntervalMs(), 100, 3_600_000);
        long timeout = c.getTimeoutMs() == 0 ? Math.min(2_000, interval)
                : unsignedRange(field + ".timeout_ms", c.getTimeoutMs(), 50, Math.min(60_000, interval));
        long rise = c.getRise() == 0 ? 1 : unsignedRange(field + ".rise", c.getRise(), 1, 100);
        long fall = c.getFall() == 0 ? 2 : unsignedRange(field + ".fall", c.getFall(), 1, 100);
        return b.setName(name).setIntervalMs((int) interval).setTimeoutMs((int) timeout)
                .setRise((int) rise).setFall((int) fall).build();
    }

    /** Methods an HTTP check may send (without a body). */
    public static final java.util.List<String> HTTP_METHODS = java.util.List.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
    public static final int MAX_HTTP_HEADERS = 16;
    public static final int MAX_HTTP_HEADER_NAME_CHARS = 64;
    public static final int MAX_HTTP_HEADER_VALUE_CHARS = 1024;
    public static final int MAX_EXPECTED_STATUSES = 16;
    public static final int MAX_EXPECTED_BODY_CHARS = 1024;
    /**
     * Header names and values, expected body and CA PEM of one HTTP check together (the CA alone for
     * a gRPC check): like a custom check's config, so eight checks at their maximum still fit
     * {@link #MAX_INSTANCE_BYTES}. One CA certificate in PEM takes 0.7-2 KB.
     */
    public static final int MAX_CHECK_OPTION_CHARS = 4096;
    /** An HTTP token (RFC 9110): what a header name may hold. */
    private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** Headers that frame the message or the connection: the prober sets them, a check may not. */
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "content-length", "transfer-encoding", "keep-alive",
            "upgrade", "te", "trailer");

    private static void httpHeaders(String field, Map<String, String> headers) {
        if (headers.size() > MAX_HTTP_HEADERS) {
            throw invalid(field, headers.size() + " headers", "at most " + MAX_HTTP_HEADERS);
        }
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (!HTTP_TOKEN.matcher(e.getKey()).matches()) {
                throw invalid(field + " key", "'" + e.getKey() + "'", "an HTTP token of 1-" + MAX_HTTP_HEADER_NAME_CHARS + " chars");
            }
            if (RESERVED_HEADERS.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                throw invalid(field + " key", "'" + e.getKey() + "'", "not one of " + String.join(", ", new java.util.TreeSet<>(RESERVED_HEADERS)));
            }
            String v = e.getValue();
            if (v.length() > MAX_HTTP_HEADER_VALUE_CHARS || v.chars().anyMatch(ch -> ch == '\r' || ch == '\n' || ch == 0)) {
                throw invalid(field + "[" + e.getKey() + "]", v.length() + " chars", "at most " + MAX_HTTP_HEADER_VALUE_CHARS
                        + " chars without CR, LF or NUL");
            }
        }
    }

    private static void tlsOptions(String field, String caPem, boolean skipVerify) {
        if (caPem.length() > MAX_CHECK_OPTION_CHARS) {
            throw invalid(field + ".tls_ca_pem", caPem.length() + " chars", "at most " + MAX_CHECK_OPTION_CHARS + " chars");
        }
        if (!caPem.isEmpty() && !caPem.contains("-----BEGIN CERTIFICATE-----")) {
            throw invalid(field + ".tls_ca_pem", "no PEM certificate", "one or more PEM certificates (-----BEGIN CERTIFICATE-----)");
        }
        if (!caPem.isEmpty() && skipVerify) {
            throw invalid(field + ".tls_skip_verify", "true", "false when tls_ca_pem is set (a CA is only used to verify)");
        }
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

    /** A health status a transition may set: PENDING to UNHEALTHY. */
    public static HealthStatus health(String field, int value) {
        if (value < HealthStatus.PENDING_VALUE || value > HealthStatus.UNHEALTHY_VALUE) {
            throw invalid(field, value, "PENDING, HEALTHY, WARNING or UNHEALTHY");
        }
        return HealthStatus.forNumber(value);
    }

    public static String healthReason(String field, String reason) {
        if (reason.length() > MAX_HEALTH_REASON_CHARS) {
            throw invalid(field, reason.length() + " chars", "at most " + MAX_HEALTH_REASON_CHARS + " chars");
        }
        return reason;
    }

    public static String maintenanceReason(String field, String reason) {
        if (reason.length() > MAX_MAINTENANCE_REASON_CHARS) {
            throw invalid(field, reason.length() + " chars", "at most " + MAX_MAINTENANCE_REASON_CHARS + " chars");
        }
        return reason;
    }

    public static String memberId(String field, String id) {
        if (id == null || !isMemberId(id)) {
            throw invalid(field, "'" + id + "'", "[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
        }
        return id;
    }

    public static long progressIntervalMs(int value) {
        return value == 0 ? 5_000 : unsignedRange("progress_interval_ms", value, 100, 600_000);
    }

    public static long startRevision(long value) {
        return range("start_revision", value, 0, Long.MAX_VALUE);
    }
}
