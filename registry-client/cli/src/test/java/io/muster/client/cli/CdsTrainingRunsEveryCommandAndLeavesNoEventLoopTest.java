package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The launcher's training run ({@code muster cds-training}) gets every command it runs answered by its
 * stand-in member, so the class list it records covers a real exchange; and a command ends its own
 * event-loop thread before it returns, so the JVM's exit does not wait for a thread in {@code epoll_wait}
 * (docs/cli.md, "Start time").
 */
@UnitTest
class CdsTrainingRunsEveryCommandAndLeavesNoEventLoopTest {

    @Test
    void everyTrainingCommandSucceedsAndPrintsNothing() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = MusterCli.run(new PrintWriter(out), new PrintWriter(err), "cds-training");
        assertThat(code).as("exit code; stderr: %s", err).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aCommandEndsItsEventLoopThreadBeforeItReturns() {
        // against a closed port: the command makes its channel (and so its event loop), fails, returns
        Cli.Result r = new Cli("127.0.0.1:1").run("--timeout-ms", "300", "members");
        assertThat(r.code()).isEqualTo(ExitCode.UNAVAILABLE);
        // shutdownGracefully has returned when run() does; the thread itself ends right after
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(Thread.getAllStackTraces().keySet())
                        .noneMatch(t -> t.isAlive() && t.getName().startsWith("muster-cli-io")));
    }
}
