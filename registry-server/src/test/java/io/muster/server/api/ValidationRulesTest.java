package io.muster.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TcpCheck;
import io.muster.api.v1.TtlCheck;
import io.muster.testkit.UnitTest;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every validation rule: INVALID_ARGUMENT naming the field and the allowed range. Exact and fast. */
@UnitTest
class ValidationRulesTest {

    static final Instance OK = Instance.newBuilder().setService("orders").setHost("10.0.0.1").setPort(8080).build();

    static Stream<Arguments> invalid() {
        return Stream.of(
                rule("instance.service: ''", b -> b.setService("")),
                rule("instance.service: 'Orders'", b -> b.setService("Orders")),
                rule("instance.service: '-orders'", b -> b.setService("-orders")),
                rule("instance.service", b -> b.setService("a".repeat(65))),
                rule("instance.host: ''", b -> b.setHost("")),
                rule("instance.host: 'bad host'", b -> b.setHost("bad host")),
                rule("instance.port: 0 (expected: 1-65535)", b -> b.setPort(0)),
                rule("instance.port: 70000 (expected: 1-65535)", b -> b.setPort(70000)),
                rule("instance.id: 'has space'", b -> b.setId("has space")),
                rule("instance.id", b -> b.setId("x".repeat(129))),
                rule("instance.tags: 33 tags (expected: at most 32)", b -> {
                    for (int i = 0; i < 33; i++) {
                        b.addTags("t" + i);
                    }
                    return b;
                }),
                rule("instance.tags[0]: '' (expected: 1-64 chars without whitespace)", b -> b.addTags("")),
                rule("instance.tags[0]: 'a b'", b -> b.addTags("a b")),
                rule("instance.metadata: 65 entries (expected: at most 64)", b -> {
                    for (int i = 0; i < 65; i++) {
                        b.putMetadata("k" + i, "v");
                    }
                    return b;
                }),
                rule("instance.metadata key: '' (expected: 1-128 chars)", b -> b.putMetadata("", "v")),
                rule("instance.metadata[k]: 1025 chars (expected: at most 1024 chars)", b -> b.putMetadata("k", "v".repeat(1025))),
                rule("instance.weight: 10001 (expected: 1-10000)", b -> b.setWeight(10_001)),
                rule("instance.weight: 4294967295 (expected: 1-10000)", b -> b.setWeight(-1)),
                rule("instance.port: 4294967295 (expected: 1-65535)", b -> b.setPort(-1)),
                rule("instance.checks[0].interval_ms: 4294967295 (expected: 100-3600000)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setIntervalMs(-1))),
                rule("instance.checks[0].custom.config: 4097 chars (expected: at most 4096 chars of keys and values)",
                        b -> b.addChecks(HealthCheck.newBuilder().setCustom(CustomCheck.newBuilder().setType("p").putConfig("k", "v".repeat(4096))))),
                rule("instance.checks[0].custom.config key: '' (expected: 1-64 chars)",
                        b -> b.addChecks(HealthCheck.newBuilder().setCustom(CustomCheck.newBuilder().setType("p").putConfig("", "v")))),
                rule("instance.zone: 65 chars (expected: at most 64 chars)", b -> b.setZone("z".repeat(65))),
                rule("instance.lease_ttl_ms: 999 (expected: 1000-3600000)", b -> b.setLeaseTtlMs(999)),
                rule("instance.lease_ttl_ms: 3600001 (expected: 1000-3600000)", b -> b.setLeaseTtlMs(3_600_001)),
                rule("instance.lease_ttl_ms: -5", b -> b.setLeaseTtlMs(-5)),
                rule("instance.initial_health: 9", b -> b.setInitialHealthValue(9)),
                rule("instance.checks: 9 checks (expected: at most 8)", b -> {
                    for (int i = 0; i < 9; i++) {
                        b.addChecks(HealthCheck.newBuilder().setName("c" + i).setTcp(TcpCheck.getDefaultInstance()));
                    }
                    return b;
                }),
                rule("instance.checks[0]: no kind", b -> b.addChecks(HealthCheck.newBuilder().setName("x"))),
                rule("instance.checks[0].interval_ms: 50 (expected: 100-3600000)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setIntervalMs(50))),
                rule("instance.checks[0].timeout_ms: 2000 (expected: 50-1000)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setIntervalMs(1000).setTimeoutMs(2000))),
                rule("instance.checks[0].rise: 101 (expected: 1-100)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setRise(101))),
                rule("instance.checks[0].fall: 101 (expected: 1-100)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setFall(101))),
                rule("instance.checks[0].http.path: 'health'",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setPath("health")))),
                rule("instance.checks[0].http.expected_status: 99 (expected: 100-599)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setExpectedStatus(99)))),
                rule("instance.checks[0].http.scheme: 'ftp'",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setScheme("ftp")))),
                rule("instance.checks[0].http.method: 'TRACE' (expected: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setMethod("TRACE")))),
                rule("instance.checks[0].http.expected_statuses[1]: 600 (expected: 100-599)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().addExpectedStatuses(200).addExpectedStatuses(600)))),
                rule("instance.checks[0].http.expected_statuses: 17 statuses (expected: at most 16)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().addAllExpectedStatuses(
                                java.util.stream.IntStream.range(200, 217).boxed().toList())))),
                rule("instance.checks[0].http.expected_body: 1025 chars (expected: at most 1024 chars)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setExpectedBody("b".repeat(1025))))),
                rule("instance.checks[0].http.headers key: 'bad name' (expected: an HTTP token of 1-64 chars)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().putHeaders("bad name", "v")))),
                rule("instance.checks[0].http.headers key: 'Connection' (expected: not one of",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().putHeaders("Connection", "close")))),
                rule("instance.checks[0].http.headers[X-A]: 3 chars (expected: at most 1024 chars without CR, LF or NUL)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().putHeaders("X-A", "a\nb")))),
                rule("instance.checks[0].http.scheme: 'http' (expected: https when tls_ca_pem or tls_skip_verify is set)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setTlsSkipVerify(true)))),
                rule("instance.checks[0].http.tls_ca_pem: no PEM certificate",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setScheme("https").setTlsCaPem("junk")))),
                rule("instance.checks[0].http.tls_skip_verify: true (expected: false when tls_ca_pem is set",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setScheme("https")
                                .setTlsCaPem("-----BEGIN CERTIFICATE-----").setTlsSkipVerify(true)))),
                rule("instance.checks[0].http: 4097 chars of headers, expected_body and tls_ca_pem (expected: at most 4096 chars together)",
                        b -> b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setScheme("https").setExpectedBody("b".repeat(1000))
                                .setTlsCaPem("-----BEGIN CERTIFICATE-----" + "c".repeat(3097 - 27))))),
                rule("instance.checks[0].grpc.use_tls: false (expected: true when tls_ca_pem or tls_skip_verify is set)",
                        b -> b.addChecks(HealthCheck.newBuilder().setGrpc(io.muster.api.v1.GrpcCheck.newBuilder().setTlsSkipVerify(true)))),
                rule("instance.checks[0].grpc.tls_ca_pem: 4097 chars (expected: at most 4096 chars)",
                        b -> b.addChecks(HealthCheck.newBuilder().setGrpc(io.muster.api.v1.GrpcCheck.newBuilder().setUseTls(true)
                                .setTlsCaPem("-----BEGIN CERTIFICATE-----" + "c".repeat(4097 - 27))))),
                rule("instance.checks[0].tcp.port: 70000 (expected: 0-65535)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.newBuilder().setPort(70000)))),
                rule("instance.checks[0].ttl.ttl_ms: 10 (expected: 1000-3600000)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTtl(TtlCheck.newBuilder().setTtlMs(10)))),
                rule("instance.checks[1].name: 'tcp' (expected: unique within the instance)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()))
                                .addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()))),
                rule("instance: ", b -> b.putAllMetadata(big()).setZone("z").addChecks(HealthCheck.newBuilder()
                        .setCustom(CustomCheck.newBuilder().setType("p").putConfig("k", "x".repeat(100_000))))));
    }

    private static java.util.Map<String, String> big() {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < 63; i++) {
            m.put("key" + i, "v".repeat(1024));
        }
        return m;
    }

    private static Arguments rule(String expectedMessagePrefix, UnaryOperator<Instance.Builder> breakIt) {
        return Arguments.of(expectedMessagePrefix, breakIt.apply(OK.toBuilder()).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidInstanceIsRejectedNamingTheField(String expected, Instance bad) {
        assertThatThrownBy(() -> Validation.instance(bad))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith(expected);
                });
    }

    @Test
    void defaultsAreFilledInAndRegistryFieldsCleared() {
        Instance n = Validation.instance(OK.toBuilder().setLeaseId(42).setModRevision(7)
                .addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.getDefaultInstance())).build());
        assertThat(n.getId()).isEqualTo("10.0.0.1:8080");
        assertThat(n.getWeight()).isEqualTo(100);
        assertThat(n.getLeaseTtlMs()).isEqualTo(10_000);
        assertThat(n.getLeaseId()).isZero();
        assertThat(n.getModRevision()).isZero();
        HealthCheck c = n.getChecks(0);
        assertThat(c.getName()).isEqualTo("http");
        assertThat(c.getHttp().getPath()).isEqualTo("/health");
        assertThat(c.getHttp().getScheme()).isEqualTo("http");
        assertThat(c.getIntervalMs()).isEqualTo(5000);
        assertThat(c.getTimeoutMs()).isEqualTo(2000);
        assertThat(c.getRise()).isEqualTo(1);
        assertThat(c.getFall()).isEqualTo(2);
    }

    @Test
    void theCharacterScansAcceptExactlyWhatTheDocumentedPatternsAccept() {
        java.util.Random random = new java.util.Random(42);
        String alphabet = "az09AZ.-_:[]%/ \u00e9";
        int checked = 0;
        for (int i = 0; i < 200_000; i++) {
            int length = random.nextInt(8) == 0 ? 60 + random.nextInt(200) : random.nextInt(6);
            StringBuilder sb = new StringBuilder(length);
            for (int k = 0; k < length; k++) {
                sb.append(random.nextInt(3) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : (char) ('a' + random.nextInt(26)));
            }
            String s = sb.toString();
            assertThat(Validation.isServiceName(s)).as("service '%s'", s).isEqualTo(Validation.SERVICE.matcher(s).matches());
            assertThat(Validation.isInstanceId(s)).as("id '%s'", s)
                    .isEqualTo(Validation.INSTANCE_ID.matcher(s).matches());
            assertThat(Validation.isHost(s)).as("host '%s'", s)
                    .isEqualTo(Validation.HOST.matcher(s).matches());
            assertThat(Validation.isCheckName(s)).as("check name '%s'", s)
                    .isEqualTo(Validation.CHECK_NAME.matcher(s).matches());
            checked += Validation.SERVICE.matcher(s).matches() ? 1 : 0;
        }
        assertThat(checked).as("the generator also produces valid names").isGreaterThan(1000);
    }

    @Test
    void anInstanceThatAlreadyCarriesItsDefaultsComesBackAsItIs() {
        Instance normal = OK.toBuilder().setNamespace("default").setId("o-1").setWeight(100).setLeaseTtlMs(10_000).putMetadata("v", "1").build();
        assertThat(Validation.instance(normal)).isSameAs(normal);
        Instance withRegistryField = normal.toBuilder().setModRevision(3).build();
        assertThat(Validation.instance(withRegistryField)).isEqualTo(normal).isNotSameAs(withRegistryField);
        Instance withoutWeight = normal.toBuilder().clearWeight().build();
        assertThat(Validation.instance(withoutWeight)).isEqualTo(normal);
    }
}
