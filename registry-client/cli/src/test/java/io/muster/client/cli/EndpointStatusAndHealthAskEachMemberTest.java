package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.muster.api.Version;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code endpoint status} and {@code endpoint health} ask every member on its own, so a member that is down shows. */
@ClusterTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndpointStatusAndHealthAskEachMemberTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    Cli cli;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    void start() {
        cli = new Cli(cluster.targets());
        cluster.awaitLeader();
        Cli.Result r = cli.run("register", "--service", "ep", "--id", "e1", "--host", "127.0.0.1", "--port", "80", "--ttl-ms", "600000");
        assertThat(r.code()).as(r.err()).isZero();
    }

    JsonNode json(Cli.Result r) throws Exception {
        return JSON.readTree(r.out());
    }

    @Test
    void everyMemberReportsItsOwnProgress() throws Exception {
        String leader = cluster.awaitLeader().id();
        // followers apply the registration a moment after the leader: all members reach the same revision
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode doc = json(cli.run("endpoint", "status", "-o", "json"));
            assertThat(doc.path("endpoints")).hasSize(3);
            Set<String> revisions = new TreeSet<>();
            for (JsonNode e : doc.path("endpoints")) {
                assertThat(e.has("error")).as(e.toString()).isFalse();
                revisions.add(e.path("status").path("revision").asText());
            }
            assertThat(revisions).hasSize(1).doesNotContain("0");
        });
        JsonNode doc = json(cli.run("endpoint", "status", "-o", "json"));
        List<String> ids = new ArrayList<>();
        List<String> leaders = new ArrayList<>();
        for (JsonNode e : doc.path("endpoints")) {
            JsonNode s = e.path("status");
            ids.add(s.path("id").asText());
            if (s.path("isLeader").asBoolean()) {
                leaders.add(s.path("id").asText());
            }
            assertThat(s.path("leaderId").asText()).isEqualTo(leader);
            assertThat(s.path("term").asLong()).isPositive();
            assertThat(s.path("appliedIndex").asLong()).isPositive();
            assertThat(s.path("committedIndex").asLong()).isGreaterThanOrEqualTo(s.path("appliedIndex").asLong());
            assertThat(s.path("version").asText()).isEqualTo(Version.VERSION);
            assertThat(s.path("dataSizeBytes").asLong()).isPositive();
        }
        assertThat(ids).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(leaders).containsExactly(leader);

        Cli.Result table = cli.run("endpoint", "status");
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.out()).contains("ENDPOINT", "APPLIED", "REVISION", "DATA_SIZE", Version.VERSION);
        assertThat(cli.run("endpoint", "status", "-o", "wide").out()).contains("COMMITTED", "LAST_INDEX", "LEADER_ID");
    }

    @Test
    void clusterAsksTheMembersInTheMemberList() throws Exception {
        // one target is enough: --cluster takes the other addresses from the member list
        String one = cluster.targets().split(",")[0];
        Cli.Result r = new Cli(one).run("endpoint", "health", "--cluster", "-o", "json");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode doc = json(r);
        assertThat(doc.path("endpoints")).hasSize(3);
        doc.path("endpoints").forEach(e -> assertThat(e.path("health").asBoolean()).as(e.toString()).isTrue());
    }

    @Test
    void aStoppedMemberIsUnhealthyAndTheCommandSaysSo() throws Exception {
        String follower = cluster.aFollower().id();
        String address = cluster.spec(follower).grpcAddress();
        cluster.stopNode(follower);
        try {
            Cli.Result health = cli.run("--timeout-ms", "2000", "endpoint", "health");
            assertThat(health.code()).as(health.out() + health.err()).isEqualTo(ExitCode.UNAVAILABLE);
            assertThat(health.out()).containsPattern(java.util.regex.Pattern.quote(address) + "\\s+false\\s+\\d+ ms\\s+UNAVAILABLE");
            assertThat(health.out().lines().filter(l -> l.contains(" true "))).hasSize(2);

            Cli.Result status = cli.run("--timeout-ms", "2000", "endpoint", "status", "-o", "json");
            assertThat(status.code()).isEqualTo(ExitCode.UNAVAILABLE);
            JsonNode down = null;
            for (JsonNode e : json(status).path("endpoints")) {
                if (e.path("endpoint").asText().equals(address)) {
                    down = e;
                }
            }
            assertThat(down).isNotNull();
            assertThat(down.path("error").asText()).startsWith("UNAVAILABLE");
        } finally {
            cluster.startNode(follower);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(cli.run("endpoint", "health").code()).isZero());
    }
}
