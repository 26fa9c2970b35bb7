package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerTlsFiles;
import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The three peer TLS files come from flags or YAML keys (flags win, one by one) and go together. */
@UnitTest
class PeerTlsFlagsAndYamlKeysTest {

    @TempDir
    Path dir;

    private static final String[] SELF = {"--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001", "--peer", "127.0.0.1:7101"};

    private static NodeConfig parse(String... more) throws Exception {
        String[] args = Arrays.copyOf(SELF, SELF.length + more.length);
        System.arraycopy(more, 0, args, SELF.length, more.length);
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.toConfig();
    }

    @Test
    void flagsAndYamlKeysGiveTheFilesAndFlagsWin() throws Exception {
        assertThat(parse().peerTls()).isNull();
        Path yaml = dir.resolve("n1.yaml");
        Files.writeString(yaml, "peer-tls-cert: /a/n1.pem\npeer-tls-key: /a/n1-key.pem\npeer-tls-ca: /a/ca.pem\n");
        assertThat(parse("--config", yaml.toString()).peerTls())
                .isEqualTo(new PeerTlsFiles(Path.of("/a/n1.pem"), Path.of("/a/n1-key.pem"), Path.of("/a/ca.pem")));
        assertThat(parse("--config", yaml.toString(), "--peer-tls-ca", "/b/ca.pem").peerTls().ca()).isEqualTo(Path.of("/b/ca.pem"));
        assertThat(parse("--peer-tls-cert", "c", "--peer-tls-key", "k", "--peer-tls-ca", "a").peerTls())
                .isEqualTo(new PeerTlsFiles(Path.of("c"), Path.of("k"), Path.of("a")));
        assertThatThrownBy(() -> parse("--peer-tls-cert", "/a/n1.pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("give all three or none");
    }
}
