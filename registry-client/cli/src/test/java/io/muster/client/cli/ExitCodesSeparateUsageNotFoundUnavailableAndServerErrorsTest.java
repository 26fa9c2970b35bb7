package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A script can tell "fix the command" (2) from "not there" (3) from "retry later" (4) from a server error (1). */
@ClusterTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExitCodesSeparateUsageNotFoundUnavailableAndServerErrorsTest {

    @TempDir
    static Path dir;
    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    Cli cli;

    @BeforeAll
    void start() {
        cli = new Cli(cluster.targets());
    }

    @Test
    void aMistypedCommandLineIsUsage() {
        assertThat(cli.run("discover").code()).isEqualTo(ExitCode.USAGE);              // missing SERVICE
        assertThat(cli.run("discover", "x", "--no-such-flag").code()).isEqualTo(ExitCode.USAGE);
        assertThat(cli.run("no-such-command").code()).isEqualTo(ExitCode.USAGE);
        assertThat(cli.run("member").code()).isEqualTo(ExitCode.USAGE);                // missing subcommand
        Cli.Result group = cli.run("snapshot");                                         // names only what exists
        assertThat(group.code()).isEqualTo(ExitCode.USAGE);
        assertThat(group.err()).contains("missing subcommand (expected: one of save, restore, status)");
        assertThat(cli.run("--timeout-ms", "0", "list").code()).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void aValueTheServerRefusesIsUsageWithTheField() {
        Cli.Result r = cli.run("register", "--service", "Bad_Name", "--host", "h", "--port", "80");
        assertThat(r.code()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("INVALID_ARGUMENT", "instance.service: 'Bad_Name'");
    }

    @Test
    void anUnknownInstanceIsNotFound() {
        Cli.Result r = cli.run("deregister", "nothing", "here");
        assertThat(r.code()).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(r.out()).contains("no instance nothing/here");
    }

    @Test
    void noMemberListeningIsUnavailableWithinTheDeadline() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        long start = System.nanoTime();
        Cli.Result r = new Cli("127.0.0.1:" + port).run("--timeout-ms", "1000", "list");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(r.err()).contains("UNAVAILABLE");
        // the deadline covers the retries: no 20 s default total
        assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
    }

    @Test
    void aLocalFailureIsAnErrorWithOneLine() {
        Cli.Result r = cli.run("snapshot", "save", dir.resolve("no/such/dir/backup.pb").toString());
        assertThat(r.code()).isEqualTo(ExitCode.ERROR);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("muster:", "no/such/dir");
    }

    @Test
    void everyGrpcStatusHasOneExitCode() {
        Map<Status.Code, Integer> expected = new EnumMap<>(Status.Code.class);
        for (Status.Code c : Status.Code.values()) {
            expected.put(c, ExitCode.ERROR);
        }
        expected.put(Status.Code.OK, ExitCode.OK);
        expected.put(Status.Code.INVALID_ARGUMENT, ExitCode.USAGE);
        expected.put(Status.Code.OUT_OF_RANGE, ExitCode.USAGE);
        expected.put(Status.Code.NOT_FOUND, ExitCode.NOT_FOUND);
        expected.put(Status.Code.UNAVAILABLE, ExitCode.UNAVAILABLE);
        expected.put(Status.Code.DEADLINE_EXCEEDED, ExitCode.UNAVAILABLE);
        expected.put(Status.Code.PERMISSION_DENIED, ExitCode.PERMISSION);
        expected.put(Status.Code.UNAUTHENTICATED, ExitCode.PERMISSION);
        expected.forEach((code, exit) -> assertThat(ExitCode.of(code)).as(code.name()).isEqualTo(exit));
    }
}
