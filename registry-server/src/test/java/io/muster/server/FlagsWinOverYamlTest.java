package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.config.Limits;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flags and the YAML file apply to one builder, flags last; defaults come from the constants. */
@UnitTest
class FlagsWinOverYamlTest {

    @TempDir
    Path dir;

    private static NodeConfig parse(String... args) throws Exception {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.toConfig();
    }

    @Test
    void aFlagOverridesTheFileAndUnsetKeysKeepTheirDefaults() throws Exception {
        Path yaml = dir.resolve("n1.yaml");
        Files.writeString(yaml, """
                id: n1
                raft: 127.0.0.1:7001
                grpc: 127.0.0.1:9001
                peer: 127.0.0.1:7101
                election-timeout-ms: 2000
                max-watchers-per-connection: 5
                """);
        NodeConfig c = parse("--config", yaml.toString(), "--election-timeout-ms", "3000", "--max-watch-services", "7");
        assertThat(c.electionTimeoutMs()).isEqualTo(3000);
        assertThat(c.limits().maxWatchersPerConnection()).isEqualTo(5);
        assertThat(c.limits().maxWatchServices()).isEqualTo(7);
        assertThat(c.limits().maxWatchers()).isEqualTo(Limits.DEFAULT_MAX_WATCHERS);
        assertThat(c.historySize()).isEqualTo(NodeConfig.DEFAULT_HISTORY_SIZE);
        assertThat(c.self()).isEqualTo(new PeerSpec("n1", "127.0.0.1:7001", "127.0.0.1:9001", "127.0.0.1:7101"));
        assertThat(c.peers()).containsExactly(c.self());
        assertThat(c.dataDir()).isEqualTo(Path.of("data", "n1"));
    }

    @Test
    void raftInlineDispatchIsOnByDefaultAndTheFileOrTheFlagTurnsIt() throws Exception {
        String[] self = {"--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001", "--peer", "127.0.0.1:7101"};
        assertThat(parse(self).raftInlineDispatch()).isEqualTo(NodeConfig.DEFAULT_RAFT_INLINE_DISPATCH).isTrue();
        assertThat(parse(concat(self, "--no-raft-inline-dispatch")).raftInlineDispatch()).isFalse();
        Path yaml = dir.resolve("off.yaml");
        Files.writeString(yaml, "raft-inline-dispatch: false\n");
        assertThat(parse(concat(self, "--config", yaml.toString())).raftInlineDispatch()).isFalse();
        assertThat(parse(concat(self, "--config", yaml.toString(), "--raft-inline-dispatch")).raftInlineDispatch()).isTrue();
    }

    private static String[] concat(String[] a, String... b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void aLimitOutOfRangeIsRefusedWithItsFlagName() {
        assertThatThrownBy(() -> parse("--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001",
                "--peer", "127.0.0.1:7101", "--max-watchers-per-connection", "0"))
                .hasMessage("max-watchers-per-connection: 0 (expected: 1-1000000)");
    }

    @Test
    void aPeerSpecWithoutThePeerAddressNamesTheFormat() {
        assertThatThrownBy(() -> PeerSpec.parse("n1=127.0.0.1:7001/127.0.0.1:9001"))
                .hasMessageContaining("expected: id=raftHost:raftPort/grpcHost:grpcPort/peerHost:peerPort");
    }

    @Test
    void aMissingConfigFileIsOneLineAndExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new Main()).execute("--config", dir.resolve("nope.yaml").toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .isEqualTo("muster-server: --config: " + dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void aBadValueInTheFileIsOneLineNamingItsLineAndKeyAndExitCode2() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), "id: n1\nelection-timeout-ms: soon\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new Main()).execute("--config", file.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .isEqualTo("muster-server: --config: " + file + ": line 2, column 1: election-timeout-ms: 'soon' is not a number");
    }
}
