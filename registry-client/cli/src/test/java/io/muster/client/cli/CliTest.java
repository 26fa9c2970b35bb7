package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The {@code muster} CLI against a real cluster: tables, JSON, errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class CliTest {

    @TempDir
    static Path dir;
    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    Cli.Result run(String... args) {
        return new Cli(cluster.targets()).run(args);
    }

    @Test
    void registerListDiscoverDeregister() {
        Cli.Result reg = run("register", "--service", "web", "--id", "w1", "--host", "127.0.0.1", "--port", "8080", "--tag", "blue",
                "--meta", "version=2", "--ttl-ms", "600000");
        assertThat(reg.code()).as(reg.err()).isZero();
        assertThat(reg.out()).contains("registered web/w1");

        Cli.Result list = run("list");
        assertThat(list.out()).contains("SERVICE", "web").containsPattern("web\\s+1\\s+1");

        Cli.Result discover = run("discover", "web", "--healthy");
        assertThat(discover.out()).contains("w1", "127.0.0.1:8080", "HEALTHY", "blue");

        Cli.Result json = run("--json", "discover", "web");
        assertThat(json.out()).contains("\"id\":\"w1\"", "\"health\":\"HEALTHY\"");

        Cli.Result dereg = run("deregister", "web", "w1");
        assertThat(dereg.code()).isZero();
        assertThat(run("deregister", "web", "w1").code()).isEqualTo(3);
    }

    @Test
    void membersAndLeader() {
        Cli.Result members = run("members");
        assertThat(members.code()).as(members.err()).isZero();
        assertThat(members.out()).contains("n1", "n2", "n3", "leader", "follower", "TERM", "APPLIED");
        // every member answered its status: a term and an applied index on each row, none unknown
        assertThat(members.out().lines().filter(l -> l.startsWith("n"))).hasSize(3)
                .allSatisfy(l -> assertThat(l).contains("true").doesNotContain(" -"));
        Cli.Result leader = run("leader");
        assertThat(leader.out()).contains(cluster.awaitLeader().id());
    }

    @Test
    void watchStreamsEventsAndSnapshotSaveWritesABackup() throws Exception {
        CompletableFuture<Cli.Result> watch = CompletableFuture.supplyAsync(() -> run("watch", "watched", "--count", "2"));
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.nodes().stream().mapToInt(Gauges::watchers).sum() > 0);
        run("register", "--service", "watched", "--id", "a", "--host", "127.0.0.1", "--port", "1", "--ttl-ms", "600000");
        run("deregister", "watched", "a");
        Cli.Result w = watch.get();
        assertThat(w.out()).contains("REGISTERED", "DEREGISTERED", "watched/a");

        Path backup = dir.resolve("backup.pb");
        Cli.Result save = run("snapshot", "save", backup.toString());
        assertThat(save.code()).as(save.err()).isZero();
        assertThat(Files.size(backup)).isPositive();
    }

    @Test
    void watchOfAnInvalidServiceNamePrintsTheStatusAndExitsAsUsage() throws Exception {
        Cli.Result w = CompletableFuture.supplyAsync(() -> run("watch", "Bad_Name")).get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(w.code()).isEqualTo(ExitCode.USAGE);
        assertThat(w.err()).contains("INVALID_ARGUMENT", "Bad_Name");
    }
}
