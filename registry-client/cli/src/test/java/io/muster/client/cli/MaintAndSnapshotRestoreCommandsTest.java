package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster maint on|off}, {@code register} with HTTP check options, and {@code snapshot
 * save / status / restore} against real clusters: exit codes, output, and a restore refused on a
 * cluster that is not empty.
 */
@ClusterTest
class MaintAndSnapshotRestoreCommandsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static JsonNode instance(Cli cli, String service, String id) throws Exception {
        JsonNode all = JSON.readTree(cli.run("discover", service, "-o", "json").out()).path("instances");
        for (JsonNode i : all) {
            if (i.path("id").asText().equals(id)) {
                return i;
            }
        }
        return null;
    }

    @Test
    void maintTakesAnInstanceOutAndBackAndSnapshotRestoreNeedsAnEmptyCluster() throws Exception {
        Path backup = dir.resolve("backup.pb");
        try (LocalCluster cluster = LocalCluster.start(dir.resolve("old"), 3)) {
            Cli cli = new Cli(cluster.targets());
            Cli.Result reg = cli.run("register", "--service", "web", "--id", "w1", "--host", "127.0.0.1", "--port", "1",
                    "--ttl-ms", "600000", "--http-check", "/ready", "--http-scheme", "https", "--http-method", "HEAD",
                    "--http-header", "X-Probe=muster", "--http-expect-status", "200,204", "--http-expect-body", "UP",
                    "--tls-skip-verify", "--check-interval-ms", "60000");
            assertThat(reg.code()).as(reg.err()).isZero();
            JsonNode http = instance(cli, "web", "w1").path("checks").get(0).path("http");
            assertThat(http.path("method").asText()).isEqualTo("HEAD");
            assertThat(http.path("headers").path("X-Probe").asText()).isEqualTo("muster");
            assertThat(http.path("expectedStatuses").toString()).isEqualTo("[200,204]");
            assertThat(http.path("tlsSkipVerify").asBoolean()).isTrue();

            // a check option out of range is a usage error naming the field
            Cli.Result bad = cli.run("register", "--service", "web", "--id", "w2", "--host", "127.0.0.1", "--port", "1",
                    "--http-check", "/", "--http-expect-status", "700");
            assertThat(bad.code()).isEqualTo(ExitCode.USAGE);
            assertThat(bad.err()).contains("instance.checks[0].http.expected_statuses[0]: 700 (expected: 100-599)");

            Cli.Result on = cli.run("maint", "on", "web", "w1", "--reason", "kernel upgrade");
            assertThat(on.code()).as(on.err()).isZero();
            assertThat(on.out()).startsWith("web/w1 maintenance on at revision");
            JsonNode w1 = instance(cli, "web", "w1");
            assertThat(w1.path("maintenance").asBoolean()).isTrue();
            assertThat(w1.path("maintenanceReason").asText()).isEqualTo("kernel upgrade");
            assertThat(cli.run("discover", "web").out()).contains(",MAINT").contains("maintenance: kernel upgrade");
            assertThat(JSON.readTree(cli.run("discover", "web", "--healthy", "-o", "json").out()).path("instances").size()).isZero();
            assertThat(cli.run("maint", "on", "web", "w1", "--reason", "kernel upgrade").out()).contains("(already)");
            assertThat(cli.run("maint", "on", "web", "nobody").code()).isEqualTo(ExitCode.NOT_FOUND);
            assertThat(cli.run("maint", "maybe", "web", "w1").code()).isEqualTo(ExitCode.USAGE);

            assertThat(cli.run("snapshot", "save", backup.toString()).code()).isZero();
            Cli.Result status = cli.run("snapshot", "status", backup.toString(), "-o", "json");
            assertThat(status.code()).as(status.err()).isZero();
            JsonNode st = JSON.readTree(status.out());
            assertThat(st.path("instances").asInt()).isEqualTo(1);
            assertThat(st.path("sha256").asText()).hasSize(64);

            // the cluster holds data: refused (FAILED_PRECONDITION is exit 1), nothing changes
            Cli.Result refused = cli.run("snapshot", "restore", backup.toString());
            assertThat(refused.code()).isEqualTo(ExitCode.ERROR);
            assertThat(refused.err()).contains("FAILED_PRECONDITION: restore: catalog at revision");

            Cli.Result off = cli.run("maint", "off", "web", "w1");
            assertThat(off.code()).as(off.err()).isZero();
            assertThat(instance(cli, "web", "w1").path("maintenance").asBoolean()).isFalse();
        }

        Path notABackup = dir.resolve("junk.pb");
        Files.writeString(notABackup, "junk that is not a snapshot");
        try (LocalCluster fresh = LocalCluster.start(dir.resolve("new"), 3)) {
            Cli cli = new Cli(fresh.targets());
            Cli.Result junk = cli.run("snapshot", "restore", notABackup.toString());
            assertThat(junk.code()).isEqualTo(ExitCode.USAGE);
            assertThat(junk.err()).contains("not a muster backup");
            assertThat(cli.run("snapshot", "restore", backup.toString(), "--dry-run").code()).isZero();

            Cli.Result restored = cli.run("snapshot", "restore", backup.toString());
            assertThat(restored.code()).as(restored.err()).isZero();
            assertThat(restored.out()).startsWith("restored 1 instances from");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> instance(cli, "web", "w1") != null);
            // the backup was taken while w1 was in maintenance
            assertThat(instance(cli, "web", "w1").path("maintenance").asBoolean()).isTrue();
        }
    }
}
