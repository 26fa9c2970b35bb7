package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code -o json} and {@code -o yaml} print the whole answer as one document (a script reads it
 * with one {@code jq} / YAML parse), {@code -o wide} adds columns to the table.
 */
@ClusterTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EveryReadCommandPrintsOneDocumentTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    Cli cli;
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @BeforeAll
    void start() {
        cli = new Cli(cluster.targets());
        for (String id : List.of("a1", "a2")) {
            Cli.Result r = cli.run("register", "--service", "docs", "--id", id, "--host", "127.0.0.1", "--port", "80",
                    "--meta", "version=2", "--ttl-ms", "600000");
            assertThat(r.code()).as(r.err()).isZero();
        }
    }

    JsonNode json(String... args) throws Exception {
        Cli.Result r = cli.run(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip().lines()).as("one document on one line").hasSize(1);
        return JSON.readTree(r.out());
    }

    @Test
    void discoverAndListAreOneJsonDocumentEach() throws Exception {
        JsonNode discover = json("-o", "json", "discover", "docs");
        assertThat(discover.path("instances")).hasSize(2);
        assertThat(discover.path("instances").get(0).path("metadata").path("version").asText()).isEqualTo("2");

        JsonNode list = json("list", "-o", "json");
        assertThat(list.path("services").get(0).path("name").asText()).isEqualTo("docs");
        assertThat(list.path("services").get(0).path("instances").asInt()).isEqualTo(2);
    }

    @Test
    void membersAsJsonNameEveryMemberAndIncludeFalseFlags() throws Exception {
        JsonNode members = json("members", "--output=json");
        assertThat(members.path("members")).hasSize(3);
        // a follower's "leader": false is printed, not left out as a proto3 default
        assertThat(members.path("members").findValues("leader")).hasSize(3);
        assertThat(members.path("leaderId").asText()).isEqualTo(cluster.awaitLeader().id());
    }

    @Test
    void yamlIsTheSameDocument() throws Exception {
        Cli.Result r = cli.run("-o", "yaml", "discover", "docs");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode yaml = YAML.readTree(r.out());
        assertThat(yaml).isEqualTo(json("-o", "json", "discover", "docs"));
        assertThat(r.out()).startsWith("instances:");
    }

    @Test
    void wideAddsColumnsTheTableLeavesOut() {
        Cli.Result table = cli.run("discover", "docs");
        Cli.Result wide = cli.run("discover", "docs", "-o", "wide");
        assertThat(table.out()).doesNotContain("METADATA", "version=2");
        assertThat(wide.out()).contains("METADATA", "LEASE", "CREATED", "version=2");
        assertThat(cli.run("members", "-o", "wide").out()).contains("PEER");
    }

    @Test
    void anUnknownFormatIsAUsageError() {
        Cli.Result r = cli.run("discover", "docs", "-o", "xml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("table, wide, json, yaml");
    }
}
