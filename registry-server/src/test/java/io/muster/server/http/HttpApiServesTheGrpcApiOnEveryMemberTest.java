package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.muster.server.RegistryNode;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP/JSON API of a 3-member cluster: every endpoint on every member, the gRPC API's errors as
 * HTTP statuses, writes through a follower, and the SSE watch resumed on another member from its
 * {@code Last-Event-ID} with no gap and no duplicate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class HttpApiServesTheGrpcApiOnEveryMemberTest {

    /** A small history, so a watch from an old revision meets COMPACTED. */
    private static final int HISTORY = 16;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withHistorySize(HISTORY).withHttpPort(FreePorts.next()));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();

    private record Reply(int status, JsonObject json) {
        String message() {
            return json.get("message").getAsString();
        }
    }

    private static URI uri(RegistryNode node, String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + pathAndQuery);
    }

    private Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        return new Reply(r.statusCode(), JsonParser.parseString(r.body()).getAsJsonObject());
    }

    private Reply get(RegistryNode node, String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(node, path)).GET());
    }

    private Reply put(RegistryNode node, String path, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(node, path)).PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    private Reply delete(RegistryNode node, String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(node, path)).DELETE());
    }

    /** Registers through {@code node}; the instance's lease outlives the test. Returns the revision. */
    private long register(RegistryNode node, String service, String id, int port) throws IOException, InterruptedException {
        Reply r = put(node, "/v1/services/" + service + "/instances/" + id,
                "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": " + port + ", \"leaseTtlMs\": 3600000}}");
        assertThat(r.status()).as("%s", r.json()).isEqualTo(200);
        return r.json().get("revision").getAsLong();
    }

    @Test
    void aRegistrationThroughAFollowerIsReadOnEveryMemberAndDeregisteredAgain() throws Exception {
        RegistryNode follower = cluster.aFollower();
        Reply registered = put(follower, "/v1/services/orders/instances/orders-1", """
                {"instance": {"host": "127.0.0.1", "port": 8081, "tags": ["v1"], "metadata": {"version": "1.2.3"},
                              "zone": "z1", "weight": 7, "lease_ttl_ms": 3600000}}""");
        assertThat(registered.status()).as("%s", registered.json()).isEqualTo(200);
        long revision = registered.json().get("revision").getAsLong();
        assertThat(registered.json().get("instanceId").getAsString()).isEqualTo("orders-1");

        for (RegistryNode node : cluster.nodes()) {
            // linearizable by default: the write is visible at once on every member
            Reply one = get(node, "/v1/services/orders");
            assertThat(one.status()).isEqualTo(200);
            assertThat(one.json().get("service").getAsString()).isEqualTo("orders");
            JsonObject in = one.json().getAsJsonArray("instances").get(0).getAsJsonObject();
            assertThat(in.get("id").getAsString()).isEqualTo("orders-1");
            assertThat(in.get("health").getAsString()).isEqualTo("HEALTHY");
            assertThat(in.get("zone").getAsString()).isEqualTo("z1");
            assertThat(in.get("weight").getAsInt()).isEqualTo(7);
            assertThat(in.getAsJsonArray("tags").get(0).getAsString()).isEqualTo("v1");
            assertThat(in.getAsJsonObject("metadata").get("version").getAsString()).isEqualTo("1.2.3");
            assertThat(in.get("modRevision").getAsLong()).isEqualTo(revision);
            assertThat(in.has("healthChangedAtMs")).isTrue();

            Reply all = get(node, "/v1/services");
            assertThat(all.status()).isEqualTo(200);
            JsonObject summary = find(all.json(), "services", "name", "orders");
            assertThat(summary.get("instances").getAsInt()).isEqualTo(1);
            assertThat(summary.get("healthy").getAsInt()).isEqualTo(1);
            Awaitility.await().atMost(WAIT).untilAsserted(() ->
                    assertThat(get(node, "/v1/services/orders?consistency=local").status()).isEqualTo(200));
        }

        Reply gone = delete(follower, "/v1/services/orders/instances/orders-1");
        assertThat(gone.status()).isEqualTo(200);
        assertThat(gone.json().get("found").getAsBoolean()).isTrue();
        Reply missing = get(cluster.awaitLeader(), "/v1/services/orders");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("code").getAsString()).isEqualTo("NOT_FOUND");
        assertThat(missing.message()).contains("orders");
    }

    @Test
    void membersNameTheLeaderAndEveryMembersOwnRaftStatus() throws Exception {
        RegistryNode leader = cluster.awaitLeader();
        for (RegistryNode node : cluster.nodes()) {
            Reply r = get(node, "/v1/members");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("leaderId").getAsString()).isEqualTo(leader.id());
            assertThat(r.json().get("term").getAsLong()).isPositive();
            assertThat(r.json().getAsJsonArray("members")).hasSize(3);
            JsonObject lead = find(r.json(), "members", "id", leader.id());
            assertThat(lead.get("leader").getAsBoolean()).isTrue();
            assertThat(lead.get("alive").getAsBoolean()).isTrue();
            JsonObject self = r.json().getAsJsonObject("self");
            assertThat(self.get("id").getAsString()).isEqualTo(node.id());
            assertThat(self.get("appliedIndex").getAsLong()).isPositive();
            // and every member's own status, which the member called asked for
            for (RegistryNode m : cluster.nodes()) {
                assertThat(find(r.json(), "members", "id", m.id()).get("alive").getAsBoolean()).isTrue();
                assertThat(r.json().getAsJsonObject("statuses").getAsJsonObject(m.id()).get("appliedIndex").getAsLong())
                        .as("%s's applied index on %s", m.id(), node.id()).isPositive();
            }
        }
    }

    @Test
    void errorsAreTheGrpcApisAsHttpStatusesWithTheFieldNamed() throws Exception {
        RegistryNode node = cluster.aFollower();
        Reply syntax = put(node, "/v1/services/pay/instances/p1", "{\"instance\": {\"host\": ");
        assertThat(syntax.status()).isEqualTo(400);
        assertThat(syntax.json().get("code").getAsString()).isEqualTo("INVALID_ARGUMENT");
        assertThat(syntax.message()).startsWith("body: malformed JSON: ").contains("$.instance.host");

        Reply type = put(node, "/v1/services/pay/instances/p1", "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": \"eighty\"}}");
        assertThat(type.status()).isEqualTo(400);
        assertThat(type.message()).startsWith("instance.port: not an uint32 value: \"eighty\"");

        Reply unknown = put(node, "/v1/services/pay/instances/p1", "{\"instance\": {\"host\": \"127.0.0.1\", \"prot\": 80}}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.message()).startsWith("instance.prot: cannot find field");

        // the gRPC API's own validation, its text unchanged
        Reply range = put(node, "/v1/services/pay/instances/p1", "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": 70000}}");
        assertThat(range.status()).isEqualTo(400);
        assertThat(range.message()).isEqualTo("instance.port: 70000 (expected: 1-65535)");

        Reply contradiction = put(node, "/v1/services/pay/instances/p1", "{\"instance\": {\"service\": \"other\", \"host\": \"127.0.0.1\", \"port\": 80}}");
        assertThat(contradiction.status()).isEqualTo(400);
        assertThat(contradiction.message()).startsWith("instance.service: 'other'");

        Reply consistency = get(node, "/v1/services?consistency=eventual");
        assertThat(consistency.status()).isEqualTo(400);
        assertThat(consistency.message()).isEqualTo("consistency: 'eventual' (expected: linearizable or local)");

        assertThat(get(node, "/v1/services/no-such-service").status()).isEqualTo(404);
        assertThat(get(node, "/v1/nothing").status()).isEqualTo(404);
        Reply badName = get(node, "/v1/services/Bad_Name!");
        assertThat(badName.status()).isEqualTo(400);
        assertThat(badName.message()).startsWith("service: ");

        Reply method = send(HttpRequest.newBuilder(uri(node, "/v1/services")).POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(method.status()).isEqualTo(405);

        HttpResponse<String> tooLarge = http.send(HttpRequest.newBuilder(uri(node, "/v1/services/pay/instances/p1")).timeout(WAIT)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"instance\": {\"host\": \"" + "h".repeat(300 * 1024) + "\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
    }

    @Test
    void aWatchResumedOnAnotherMemberFromItsLastEventIdHasNoGapAndNoDuplicate() throws Exception {
        List<RegistryNode> nodes = cluster.nodes();
        RegistryNode first = nodes.get(0);
        RegistryNode second = nodes.get(1);
        List<Long> written = new ArrayList<>();
        List<Long> seen = new ArrayList<>();
        String lastId;
        try (SseClient sse = SseClient.open(http, uri(first, "/v1/watch?service=resume"), null)) {
            assertThat(sse.status).isEqualTo(200);
            SseClient.Sse snapshot = sse.nextMessage(WAIT);
            assertThat(snapshot.event()).isEqualTo("snapshot");
            assertThat(snapshot.id()).isNotNull();
            for (int i = 0; i < 3; i++) {
                written.add(register(first, "resume", "r" + i, 9000 + i));
            }
            lastId = snapshot.id();
            for (int i = 0; i < 3; i++) {
                SseClient.Sse e = sse.nextMessage(WAIT);
                assertThat(e.event()).isEqualTo("change");
                assertThat(JsonParser.parseString(e.data()).getAsJsonObject().get("type").getAsString()).isEqualTo("REGISTERED");
                seen.add(Long.parseLong(e.id()));
                lastId = e.id();
            }
        }
        // written while no one watches, through the third member
        for (int i = 3; i < 6; i++) {
            written.add(register(nodes.get(2), "resume", "r" + i, 9000 + i));
        }
        written.add(put(second, "/v1/services/other-service/instances/o1",
                "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": 80, \"leaseTtlMs\": 3600000}}").json().get("revision").getAsLong());
        written.remove(written.size() - 1); // another service's: not for this watch
        Reply deregistered = delete(second, "/v1/services/resume/instances/r0");
        written.add(deregistered.json().get("revision").getAsLong());

        try (SseClient sse = SseClient.open(http, uri(second, "/v1/watch?service=resume"), lastId)) {
            assertThat(sse.status).isEqualTo(200);
            while (seen.size() < written.size()) {
                SseClient.Sse e = sse.nextMessage(WAIT);
                assertThat(e.event()).as("%s", e).isEqualTo("change");
                seen.add(Long.parseLong(e.id()));
            }
        }
        assertThat(seen).containsExactlyElementsOf(written);
    }

    @Test
    void aWatchFromACompactedRevisionSaysSoThenSendsAFreshSnapshot() throws Exception {
        RegistryNode leader = cluster.awaitLeader();
        long last = 0;
        for (int i = 0; i < HISTORY + 4; i++) {
            last = register(leader, "churn", "c" + (i % 3), 7000 + i);
        }
        // on the leader: its applied state includes every write it answered
        try (SseClient sse = SseClient.open(http, uri(leader, "/v1/watch?service=churn&revision=1"), null)) {
            assertThat(sse.status).isEqualTo(200);
            SseClient.Sse compacted = sse.nextMessage(WAIT);
            assertThat(compacted.event()).isEqualTo("compacted");
            assertThat(JsonParser.parseString(compacted.data()).getAsJsonObject().get("compactRevision").getAsLong()).isGreaterThan(2);
            SseClient.Sse snapshot = sse.nextMessage(WAIT);
            assertThat(snapshot.event()).isEqualTo("snapshot");
            assertThat(Long.parseLong(snapshot.id())).isGreaterThanOrEqualTo(last);
            JsonObject s = JsonParser.parseString(snapshot.data()).getAsJsonObject();
            Set<String> ids = new TreeSet<>();
            s.getAsJsonArray("instances").forEach(i -> ids.add(i.getAsJsonObject().get("id").getAsString()));
            assertThat(ids).containsExactly("c0", "c1", "c2");
        }
    }

    @Test
    void anIdleWatchGetsHeartbeatCommentsAndABadRevisionIsRefused() throws Exception {
        RegistryNode node = cluster.aFollower();
        try (SseClient sse = SseClient.open(http, uri(node, "/v1/watch?service=idle&progress_interval_ms=200"), null)) {
            assertThat(sse.nextMessage(WAIT).event()).isEqualTo("snapshot");
            Awaitility.await().atMost(WAIT).until(() -> sse.next(WAIT).data().startsWith("progress"));
        }
        Reply bad = get(node, "/v1/watch?service=idle&revision=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.message()).startsWith("revision: 'yesterday'");
        Reply badService = get(node, "/v1/watch?service=Not_A_Name");
        assertThat(badService.status()).isEqualTo(400);
        assertThat(badService.message()).startsWith("services[0]: ");
    }

    private static JsonObject find(JsonObject o, String array, String key, String value) {
        for (JsonElement e : o.getAsJsonArray(array)) {
            if (e.getAsJsonObject().get(key).getAsString().equals(value)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError(value + " not in " + o.getAsJsonArray(array).asList().stream().map(String::valueOf).collect(Collectors.joining(", ")));
    }
}
