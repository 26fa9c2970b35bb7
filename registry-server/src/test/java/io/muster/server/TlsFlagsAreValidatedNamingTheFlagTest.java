package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.config.NodeConfig;
import io.muster.server.config.PublicTls;
import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --tls-cert, --tls-key, --tls-client-ca, --tls-client-auth (and their YAML keys): errors name the flag. */
@UnitTest
class TlsFlagsAreValidatedNamingTheFlagTest {

    private static final String[] SELF = {"--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001", "--peer", "127.0.0.1:7101"};

    @TempDir
    Path dir;
    Path cert;
    Path key;
    Path ca;

    @BeforeEach
    void files() throws Exception {
        // validation reads only whether the files are there: contents are checked when the member starts
        cert = Files.writeString(dir.resolve("n1.pem"), "x");
        key = Files.writeString(dir.resolve("n1-key.pem"), "x");
        ca = Files.writeString(dir.resolve("ca.pem"), "x");
    }

    private static NodeConfig parse(String... args) throws Exception {
        String[] all = new String[SELF.length + args.length];
        System.arraycopy(SELF, 0, all, 0, SELF.length);
        System.arraycopy(args, 0, all, SELF.length, args.length);
        Main main = new Main();
        new CommandLine(main).parseArgs(all);
        return main.toConfig();
    }

    @Test
    void withoutTlsFlagsThePortIsPlainText() throws Exception {
        assertThat(parse().tls()).isNull();
    }

    @Test
    void certAndKeyTurnTlsOnAndAClientCaRequiresClientCertificatesUnlessToldOtherwise() throws Exception {
        PublicTls tls = parse("--tls-cert", cert.toString(), "--tls-key", key.toString()).tls();
        assertThat(tls.clientAuth()).isEqualTo(PublicTls.ClientAuth.NONE);
        assertThat(parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca.toString()).tls().clientAuth())
                .isEqualTo(PublicTls.ClientAuth.REQUIRE);
        assertThat(parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca.toString(),
                "--tls-client-auth", "optional").tls().clientAuth()).isEqualTo(PublicTls.ClientAuth.OPTIONAL);
    }

    @Test
    void theYamlKeysAreTheFlagNames() throws Exception {
        Path yaml = Files.writeString(dir.resolve("n1.yaml"), "tls-cert: " + cert + "\ntls-key: " + key
                + "\ntls-client-ca: " + ca + "\ntls-client-auth: optional\n");
        PublicTls tls = parse("--config", yaml.toString()).tls();
        assertThat(tls.cert()).isEqualTo(cert);
        assertThat(tls.clientCa()).isEqualTo(ca);
        assertThat(tls.clientAuth()).isEqualTo(PublicTls.ClientAuth.OPTIONAL);
    }

    @Test
    void everyMistakeNamesItsFlag() {
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString())).hasMessageStartingWith("tls-key: missing");
        assertThatThrownBy(() -> parse("--tls-key", key.toString())).hasMessageStartingWith("tls-cert: missing");
        assertThatThrownBy(() -> parse("--tls-cert", dir.resolve("nope.pem").toString(), "--tls-key", key.toString()))
                .hasMessageStartingWith("tls-cert: ").hasMessageContaining("no such file");
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-auth", "require"))
                .hasMessageStartingWith("tls-client-ca: missing");
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca.toString(),
                "--tls-client-auth", "sometimes"))
                .hasMessage("tls-client-auth: 'sometimes' (expected: none, optional or require)");
        assertThatThrownBy(() -> parse("--tls-client-ca", ca.toString())).hasMessageStartingWith("tls-client-ca: needs TLS");
    }
}
