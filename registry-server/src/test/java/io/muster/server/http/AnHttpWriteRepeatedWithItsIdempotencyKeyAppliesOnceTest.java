package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A curl user repeats a write whose answer they lost: with the same {@code Idempotency-Key} (the
 * write's request id) the cluster applies it once, on whichever member the repeat reaches, so the
 * repeat cannot undo a newer write by someone else in between; with different keys (or none) each
 * is a write of its own. A key outside the allowed range is a 400 naming the header, and nothing is
 * applied.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class AnHttpWriteRepeatedWithItsIdempotencyKeyAppliesOnceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.withElectionTimeoutMs(1000).withHttpPort(FreePorts.next()));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();

    private record Reply(int status, JsonObject json) {
    }

    private Reply send(RegistryNode node, String method, String path, String body, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JsonParser.parseString(r.body()).getAsJsonObject());
    }

    private Reply register(RegistryNode node, String service, int port, String key) throws IOException, InterruptedException {
        return send(node, "PUT", "/v1/services/" + service + "/instances/i1",
                "{\"instance\": {\"host\": \"127.0.0.1\", \"port\": " + port + ", \"leaseTtlMs\": 3600000}}", key);
    }

    /** The instance i1 of {@code service} as a linearizable read shows it, or null. */
    private JsonObject instance(String service) throws IOException, InterruptedException {
        Reply r = send(cluster.awaitLeader(), "GET", "/v1/services/" + service, null, null);
        return r.status() == 404 ? null : r.json().getAsJsonArray("instances").get(0).getAsJsonObject();
    }

    @Test
    void aDeregisterRepeatedWithItsKeyDoesNotRemoveTheRegistrationMadeInBetween() throws Exception {
        RegistryNode follower = cluster.aFollower();
        assertThat(register(follower, "orders", 8081, null).status()).isEqualTo(200);
        Reply first = send(follower, "DELETE", "/v1/services/orders/instances/i1", null, "deploy-42.drain_1");
        assertThat(first.status()).as("%s", first.json()).isEqualTo(200);
        assertThat(register(cluster.awaitLeader(), "orders", 8082, null).status()).as("someone else's, acknowledged").isEqualTo(200);

        // the same DELETE, repeated on another member: answered as the first, changes nothing
        Reply repeated = send(cluster.awaitLeader(), "DELETE", "/v1/services/orders/instances/i1", null, "deploy-42.drain_1");

        assertThat(repeated.status()).isEqualTo(200);
        assertThat(repeated.json().get("found").getAsBoolean()).isTrue();
        JsonObject after = instance("orders");
        assertThat(after).as("the registration made in between").isNotNull();
        assertThat(after.get("port").getAsInt()).isEqualTo(8082);

        // another key is another write
        Reply other = send(follower, "DELETE", "/v1/services/orders/instances/i1", null, "deploy-42.drain_2");
        assertThat(other.json().get("found").getAsBoolean()).isTrue();
        assertThat(instance("orders")).isNull();
    }

    @Test
    void aRegisterRepeatedWithItsKeyIsAnsweredWithItsLeaseAndWithoutAKeyAppliesAgain() throws Exception {
        RegistryNode follower = cluster.aFollower();
        Reply first = register(follower, "carts", 9001, "r-1");
        assertThat(first.status()).as("%s", first.json()).isEqualTo(200);
        assertThat(register(follower, "carts", 9002, "r-2").status()).isEqualTo(200);

        Reply repeated = register(cluster.awaitLeader(), "carts", 9001, "r-1");

        assertThat(repeated.status()).isEqualTo(200);
        assertThat(repeated.json().get("leaseId").getAsLong()).isEqualTo(first.json().get("leaseId").getAsLong());
        assertThat(instance("carts").get("port").getAsInt()).as("the newer write stays").isEqualTo(9002);

        assertThat(register(follower, "carts", 9001, null).status()).isEqualTo(200);
        assertThat(register(follower, "carts", 9003, null).status()).isEqualTo(200);
        assertThat(register(follower, "carts", 9001, null).status()).isEqualTo(200);
        assertThat(instance("carts").get("port").getAsInt()).as("without a key, each request is its own write").isEqualTo(9001);
    }

    @Test
    void aMaintenanceChangeRepeatedWithItsKeyDoesNotUndoTheOneMadeInBetween() throws Exception {
        RegistryNode follower = cluster.aFollower();
        assertThat(register(follower, "billing", 7001, null).status()).isEqualTo(200);
        String path = "/v1/services/billing/instances/i1/maintenance";
        Reply on = send(follower, "PUT", path, "{\"reason\": \"kernel upgrade\"}", "m-on-1");
        assertThat(on.status()).as("%s", on.json()).isEqualTo(200);
        assertThat(send(cluster.awaitLeader(), "DELETE", path, null, "m-off-1").status()).isEqualTo(200);

        Reply repeated = send(cluster.awaitLeader(), "PUT", path, "{\"reason\": \"kernel upgrade\"}", "m-on-1");

        assertThat(repeated.status()).isEqualTo(200);
        assertThat(repeated.json().get("changed").getAsBoolean()).as("answered as the first").isTrue();
        assertThat(instance("billing").has("maintenance")).as("still back in service").isFalse();

        assertThat(send(follower, "PUT", path, "{\"reason\": \"kernel upgrade\"}", "m-on-2").json().get("changed").getAsBoolean()).isTrue();
        assertThat(instance("billing").get("maintenance").getAsBoolean()).isTrue();
    }

    @Test
    void aKeyOutsideTheAllowedRangeIsA400NamingTheHeaderAndAppliesNothing() throws Exception {
        RegistryNode node = cluster.aFollower();
        for (String bad : new String[] {"has space", "a/b", "x".repeat(65), "a+b"}) {
            Reply r = register(node, "refused", 6001, bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().get("code").getAsString()).isEqualTo("INVALID_ARGUMENT");
            assertThat(r.json().get("message").getAsString()).startsWith("Idempotency-Key: '")
                    .endsWith("(expected: 1-64 chars of [A-Za-z0-9._-], or no header)");
            assertThat(send(node, "DELETE", "/v1/services/refused/instances/i1", null, bad).status()).isEqualTo(400);
            assertThat(send(node, "PUT", "/v1/services/refused/instances/i1/maintenance", null, bad).status()).isEqualTo(400);
        }
        assertThat(instance("refused")).isNull();

        Reply contradicting = send(node, "PUT", "/v1/services/refused/instances/i1",
                "{\"requestId\": \"a\", \"instance\": {\"host\": \"127.0.0.1\", \"port\": 6001}}", "b");
        assertThat(contradicting.status()).isEqualTo(400);
        assertThat(contradicting.json().get("message").getAsString())
                .isEqualTo("request_id: 'a' (expected: 'b' as in the Idempotency-Key header, or absent)");
        assertThat(register(node, "refused", 6001, "x".repeat(64)).status()).as("64 chars are allowed").isEqualTo(200);
    }
}
