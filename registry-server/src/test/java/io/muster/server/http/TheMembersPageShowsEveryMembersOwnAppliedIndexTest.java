package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.StatusResponse;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.testing.Api;
import io.muster.server.testing.TestPki;
import io.muster.testkit.FreePorts;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/members} (and {@code Cluster.Members} with {@code with_status}) on a 3-member
 * cluster of member JVMs with peer mutual TLS: the answering member asks every member for its own
 * status over the peer listener, so every member's term and applied index are shown, and after the
 * writes converge the applied indexes are equal on every member's page. A frozen member (SIGSTOP:
 * its connections stay open, it never answers) and a killed one show {@code alive: false} with no
 * status, within the 1 s status deadline: the page never hangs and never fails.
 */
@ProcessTest
class TheMembersPageShowsEveryMembersOwnAppliedIndexTest {

    /** The 1 s status deadline plus room for a forwarded Members and a busy 2-core machine; the HTTP call's own deadline is 10 s. */
    private static final Duration ANSWER_BOUND = Duration.ofMillis(3_000);
    private static final Duration WAIT = Duration.ofSeconds(30);

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Integer> httpPorts = new HashMap<>();

    private record Page(JsonObject json, Duration took) {
        JsonObject member(String id) {
            for (JsonElement e : json.getAsJsonArray("members")) {
                if (e.getAsJsonObject().get("id").getAsString().equals(id)) {
                    return e.getAsJsonObject();
                }
            }
            throw new AssertionError(id + " not listed: " + json);
        }

        boolean alive(String id) {
            return member(id).get("alive").getAsBoolean();
        }

        JsonObject statuses() {
            return json.has("statuses") ? json.getAsJsonObject("statuses") : new JsonObject();
        }
    }

    private Page members(ProcessCluster.Member on) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(on.id()) + "/v1/members"))
                .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.statusCode()).as("GET /v1/members on %s: %s", on.id(), r.body()).isEqualTo(200);
        return new Page(JsonParser.parseString(r.body()).getAsJsonObject(), took);
    }

    private List<String> flags(PeerTlsFiles f, String id) {
        return List.of("--peer-tls-cert", f.certificate().toString(), "--peer-tls-key", f.key().toString(),
                "--peer-tls-ca", f.ca().toString(), "--http-port", Integer.toString(httpPorts.get(id)));
    }

    @Test
    void everyMembersAppliedIndexIsShownAndAMemberThatDoesNotAnswerIsNotAliveWithinTheDeadline() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "muster-test-ca");
        for (String id : List.of("n1", "n2", "n3")) {
            httpPorts.put(id, FreePorts.next());
        }
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).memberFlags(id -> flags(pki.member(id), id)).start()) {
            ProcessCluster.Member leader = cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT);
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT);
            List<ProcessCluster.Member> followers = cluster.members().stream().filter(m -> !m.id().equals(leader.id())).toList();
            for (int i = 0; i < 5; i++) {
                Api.register(cluster.channel(followers.get(i % 2).id()), Api.instance("orders", "o" + i, 8000 + i));
            }

            // every member's page lists all three with their own status; once the writes are applied
            // everywhere, the applied indexes are one number, past the writes
            for (ProcessCluster.Member on : cluster.members()) {
                Awaitility.await("every member's applied index on " + on.id() + "'s page").atMost(WAIT).untilAsserted(() -> {
                    Page page = members(on);
                    // the member list is the leader's view; the statuses were asked by the member called
                    assertThat(page.json().get("answeredBy").getAsString()).isEqualTo(leader.id());
                    assertThat(page.json().get("leaderId").getAsString()).isEqualTo(leader.id());
                    Set<Long> applied = new HashSet<>();
                    for (ProcessCluster.Member m : cluster.members()) {
                        assertThat(page.alive(m.id())).as("%s alive on %s's page", m.id(), on.id()).isTrue();
                        JsonObject status = page.statuses().getAsJsonObject(m.id());
                        assertThat(status).as("%s's status on %s's page", m.id(), on.id()).isNotNull();
                        assertThat(status.get("id").getAsString()).isEqualTo(m.id());
                        assertThat(status.get("term").getAsLong()).isEqualTo(page.json().get("term").getAsLong());
                        assertThat(status.has("isLeader")).as("%s leads", m.id()).isEqualTo(m.id().equals(leader.id()));
                        applied.add(status.get("appliedIndex").getAsLong());
                    }
                    assertThat(applied).as("applied indexes on %s's page", on.id()).hasSize(1);
                    assertThat(applied.iterator().next()).isGreaterThanOrEqualTo(5);
                    assertThat(page.json().getAsJsonObject("self").get("id").getAsString()).isEqualTo(on.id());
                });
            }
            // the gRPC call (the CLI's) carries the same statuses when asked for them
            MembersResponse grpc = ClusterGrpc.newBlockingStub(cluster.channel(followers.get(0).id())).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .members(MembersRequest.newBuilder().setWithStatus(true).build());
            assertThat(grpc.getStatusesMap()).containsOnlyKeys("n1", "n2", "n3");
            assertThat(grpc.getStatusesMap().values()).extracting(StatusResponse::getAppliedIndex).allMatch(i -> i >= 5);
            assertThat(ClusterGrpc.newBlockingStub(cluster.channel(followers.get(0).id())).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .members(MembersRequest.getDefaultInstance()).getStatusesMap()).as("without with_status").isEmpty();

            // frozen: its sockets stay open and a call to it never ends; the others answer for themselves
            ProcessCluster.Member frozen = followers.get(0);
            ProcessCluster.Member asker = followers.get(1);
            cluster.freeze(frozen.id());
            List<Duration> took = new ArrayList<>();
            for (ProcessCluster.Member on : List.of(asker, leader)) {
                Page page = members(on);
                took.add(page.took());
                assertThat(page.alive(frozen.id())).as("the frozen %s on %s's page", frozen.id(), on.id()).isFalse();
                assertThat(page.statuses().has(frozen.id())).isFalse();
                assertThat(page.alive(asker.id())).isTrue();
                assertThat(page.alive(leader.id())).isTrue();
                assertThat(page.statuses().getAsJsonObject(leader.id()).get("appliedIndex").getAsLong()).isGreaterThanOrEqualTo(5);
            }
            System.out.println("GET /v1/members with " + frozen.id() + " frozen, on " + asker.id() + " and " + leader.id() + ": " + took);
            assertThat(took).as("answers with a frozen member").allMatch(d -> d.compareTo(ANSWER_BOUND) < 0);

            cluster.thaw(frozen.id());
            Awaitility.await("the thawed member answers again").atMost(WAIT).until(() -> members(asker).alive(frozen.id()));

            // killed: the connection is refused
            cluster.kill(frozen.id());
            Page page = members(leader);
            assertThat(page.alive(frozen.id())).as("the killed %s", frozen.id()).isFalse();
            assertThat(page.statuses().has(frozen.id())).isFalse();
            assertThat(page.statuses().keySet()).containsExactlyInAnyOrder(leader.id(), asker.id());
            System.out.println("GET /v1/members with " + frozen.id() + " killed, on " + leader.id() + ": " + page.took());
            assertThat(page.took()).isLessThan(ANSWER_BOUND);
        }
    }
}
