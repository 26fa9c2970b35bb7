package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.muster.api.v1.Access;
import io.muster.server.RegistryNode;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every endpoint of the HTTP API of a 3-member cluster with ACLs on: no token or an unknown one is
 * 401 with the gRPC API's message, a read token is 403 on every write (naming the missing rule) and
 * reads, an operator token does everything, and the console's maintenance and leadership endpoints
 * answer the gRPC API's validation texts. The console's files need no token (they hold no data) and
 * are served by exact name only, with their content type, a CSP and revalidation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class HttpApiRefusesMissingTokensAndReadTokensThatWriteTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).httpPort(FreePorts.next()).build());

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();
    private String operator;
    private String reader;

    private record Call(String method, String path, String body) {
        static Call of(String method, String path) {
            return new Call(method, path, null);
        }
    }

    private record Reply(int status, JsonObject json) {
        String code() {
            return json.get("code").getAsString();
        }

        String message() {
            return json.get("message").getAsString();
        }
    }

    /** Every endpoint of docs/api.md, on instance acl-svc/a1. */
    private static final List<Call> EVERY_ENDPOINT = List.of(
            Call.of("GET", "/v1/services"),
            Call.of("GET", "/v1/services/acl-svc"),
            Call.of("GET", "/v1/members"),
            Call.of("GET", "/v1/watch?service=acl-svc"),
            new Call("PUT", "/v1/services/acl-svc/instances/a1", "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": 8080, \"leaseTtlMs\": 3600000}}"),
            new Call("PUT", "/v1/services/acl-svc/instances/a1/maintenance", "{\"reason\": \"deploy\"}"),
            Call.of("DELETE", "/v1/services/acl-svc/instances/a1/maintenance"),
            Call.of("DELETE", "/v1/services/acl-svc/instances/a1"),
            new Call("POST", "/v1/members/transfer-leadership", "{}"));

    @BeforeAll
    void tokens() {
        operator = Tokens.bootstrapToken(cluster);
        reader = Tokens.tokenWith(cluster.channel(cluster.awaitLeader().id()), operator, "http-read", Tokens.rule(Access.READ, ""));
    }

    private Reply send(RegistryNode node, Call c, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + c.path())).timeout(WAIT)
                .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c.body()));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("content-type")).as("%s %s", c, r.body()).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return new Reply(r.statusCode(), JsonParser.parseString(r.body()).getAsJsonObject());
    }

    private Reply as(String token, RegistryNode node, Call c) throws IOException, InterruptedException {
        return send(node, c, "Bearer " + token);
    }

    @Test
    void withoutATokenOrWithAnUnknownOneEveryEndpointIs401OnEveryMember() throws Exception {
        for (RegistryNode node : cluster.nodes()) {
            for (Call c : EVERY_ENDPOINT) {
                Reply none = send(node, c, null);
                assertThat(none.status()).as("%s on %s: %s", c, node.id(), none.json()).isEqualTo(401);
                assertThat(none.code()).isEqualTo("UNAUTHENTICATED");
                assertThat(none.message()).as("%s", c).contains("token");
                Reply unknown = send(node, c, "Bearer 00000000-not-a-token");
                assertThat(unknown.status()).as("%s on %s: %s", c, node.id(), unknown.json()).isEqualTo(401);
            }
        }
    }

    @Test
    void aReadTokenReadsAndIsRefused403OnEveryWriteWithTheMissingRuleNamed() throws Exception {
        RegistryNode follower = cluster.aFollower();
        assertThat(as(operator, follower, EVERY_ENDPOINT.get(4)).status()).isEqualTo(200);
        assertThat(as(reader, follower, Call.of("GET", "/v1/services")).status()).isEqualTo(200);
        assertThat(as(reader, follower, Call.of("GET", "/v1/services/acl-svc")).status()).isEqualTo(200);
        for (Call write : EVERY_ENDPOINT.subList(4, 8)) {
            Reply r = as(reader, follower, write);
            assertThat(r.status()).as("%s: %s", write, r.json()).isEqualTo(403);
            assertThat(r.code()).isEqualTo("PERMISSION_DENIED");
            assertThat(r.message()).as("%s", write).contains("lacks write on service \"acl-svc\"");
        }
        // membership and leadership are the operator's
        for (Call c : List.of(Call.of("GET", "/v1/members"), EVERY_ENDPOINT.get(8))) {
            Reply r = as(reader, follower, c);
            assertThat(r.status()).as("%s: %s", c, r.json()).isEqualTo(403);
            assertThat(r.message()).contains("operator");
        }
        assertThat(as(operator, follower, EVERY_ENDPOINT.get(7)).status()).isEqualTo(200);
    }

    @Test
    void maintenanceGoesOnAndOffWithTheGrpcApisErrorsForWhatItRefuses() throws Exception {
        RegistryNode follower = cluster.aFollower();
        assertThat(as(operator, follower, new Call("PUT", "/v1/services/maint/instances/m1",
                "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": 8080, \"leaseTtlMs\": 3600000}}")).status()).isEqualTo(200);

        Reply on = as(operator, follower, new Call("PUT", "/v1/services/maint/instances/m1/maintenance", "{\"reason\": \"kernel upgrade\"}"));
        assertThat(on.status()).as("%s", on.json()).isEqualTo(200);
        assertThat(on.json().get("changed").getAsBoolean()).isTrue();
        assertThat(on.json().getAsJsonObject("instance").get("maintenance").getAsBoolean()).isTrue();
        assertThat(on.json().getAsJsonObject("instance").get("maintenanceReason").getAsString()).isEqualTo("kernel upgrade");
        for (RegistryNode node : cluster.nodes()) {
            JsonObject in = as(operator, node, Call.of("GET", "/v1/services/maint")).json().getAsJsonArray("instances").get(0).getAsJsonObject();
            assertThat(in.get("maintenance").getAsBoolean()).isTrue();
        }
        Reply off = as(operator, follower, Call.of("DELETE", "/v1/services/maint/instances/m1/maintenance"));
        assertThat(off.status()).isEqualTo(200);
        assertThat(off.json().getAsJsonObject("instance").has("maintenance")).isFalse();

        Reply unknown = as(operator, follower, Call.of("PUT", "/v1/services/maint/instances/nope/maintenance"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.message()).isEqualTo("set_maintenance: 'maint/nope' (expected: a registered instance)");
        Reply tooLong = as(operator, follower, new Call("PUT", "/v1/services/maint/instances/m1/maintenance",
                "{\"reason\": \"" + "r".repeat(1025) + "\"}"));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.message()).startsWith("reason: ");
        Reply contradiction = as(operator, follower, new Call("DELETE", "/v1/services/maint/instances/m1/maintenance", "{\"enabled\": true}"));
        assertThat(contradiction.status()).isEqualTo(400);
        assertThat(contradiction.message()).startsWith("enabled: true (expected: absent");
        Reply otherService = as(operator, follower, new Call("PUT", "/v1/services/maint/instances/m1/maintenance", "{\"service\": \"other\"}"));
        assertThat(otherService.status()).isEqualTo(400);
        assertThat(otherService.message()).startsWith("service: 'other'");
        Reply method = as(operator, follower, Call.of("GET", "/v1/services/maint/instances/m1/maintenance"));
        assertThat(method.status()).isEqualTo(405);
    }

    @Test
    void leadershipMovesToTheNamedMemberAndAnUnknownOneIsRefused() throws Exception {
        RegistryNode leader = cluster.awaitLeader();
        RegistryNode target = cluster.aFollower();
        Reply unknown = as(operator, target, new Call("POST", "/v1/members/transfer-leadership", "{\"targetId\": \"n9\"}"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.message()).isEqualTo("target_id: 'n9' (expected: the id of a current member)");
        Reply badBody = as(operator, target, new Call("POST", "/v1/members/transfer-leadership", "{\"target\": \"n2\"}"));
        assertThat(badBody.status()).isEqualTo(400);
        assertThat(badBody.message()).startsWith("target: cannot find field");

        Reply moved = as(operator, target, new Call("POST", "/v1/members/transfer-leadership", "{\"targetId\": \"" + target.id() + "\"}"));
        assertThat(moved.status()).as("%s", moved.json()).isEqualTo(200);
        assertThat(moved.json().get("leaderId").getAsString()).isEqualTo(target.id());
        Awaitility.await().atMost(WAIT).untilAsserted(() ->
                assertThat(as(operator, leader, Call.of("GET", "/v1/members")).json().get("leaderId").getAsString()).isEqualTo(target.id()));
    }

    @Test
    void theConsoleIsServedWithoutATokenWithItsContentTypesAndSecurityHeaders() throws Exception {
        RegistryNode node = cluster.aFollower();
        for (String file : ConsoleAssets.FILES) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/ui/" + file))
                    .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(file).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue(ConsoleAssets.contentType(file));
            assertThat(r.headers().firstValue("cache-control")).hasValue("no-cache");
            assertThat(r.headers().firstValue("content-security-policy")).hasValue(ConsoleAssets.CONTENT_SECURITY_POLICY);
            assertThat(r.headers().firstValue("x-content-type-options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("x-frame-options")).hasValue("DENY");
            String etag = r.headers().firstValue("etag").orElseThrow();
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/ui/" + file))
                    .header("If-None-Match", etag).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(again.body()).isEmpty();
        }
        assertThat(raw(node, "GET /ui HTTP/1.1")).startsWith("HTTP/1.1 302 ").contains("location: /ui/");
        assertThat(raw(node, "GET / HTTP/1.1")).startsWith("HTTP/1.1 302 ").contains("location: /ui/");
        assertThat(raw(node, "HEAD /ui/ HTTP/1.1")).startsWith("HTTP/1.1 200 ").contains("content-type: text/html");
        assertThat(raw(node, "POST /ui/ HTTP/1.1")).startsWith("HTTP/1.1 405 ").contains("allow: GET, HEAD");
        // sent byte for byte (no client normalizes them): only the listed names are served
        for (String path : List.of("/ui/../v1/services", "/ui/%2e%2e/v1/services", "/ui/..%2fconsole.js", "/ui/./console.js",
                "/ui//console.js", "/ui/console.js/", "/ui/../../io/muster/server/http/HttpApiHandler.class",
                "/ui/io/muster/server/http/console/index.html", "/ui/%2fetc%2fpasswd", "/ui/console.js%00", "/ui/..\\console.js")) {
            assertThat(raw(node, "GET " + path + " HTTP/1.1")).as(path).startsWith("HTTP/1.1 404 ");
        }
    }

    /** One request over a plain socket, exactly as written; the answer's head (lower-cased header names). */
    private static String raw(RegistryNode node, String requestLine) throws IOException {
        try (Socket s = new Socket("127.0.0.1", node.httpPort())) {
            s.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = answer.indexOf("\r\n\r\n");
            String head = end < 0 ? answer : answer.substring(0, end);
            StringBuilder b = new StringBuilder();
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                b.append(colon < 0 || line.startsWith("HTTP/") ? line : line.substring(0, colon).toLowerCase(java.util.Locale.ROOT) + line.substring(colon))
                        .append('\n');
            }
            return b.toString();
        }
    }
}
