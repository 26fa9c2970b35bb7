package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.config.NodeConfig;
import io.muster.server.config.PublicTls;
import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * --tls-cert, --tls-key, --tls-client-ca, --tls-client-auth, --http-tls-client-auth (and their YAML
 * keys): errors name the flag; a bad one stops the member with one line and exit code 2.
 */
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
    void theHttpPortAsksWhatTheGrpcPortAsksUnlessToldOtherwise() throws Exception {
        String[] tls = {"--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-client-ca", ca.toString()};
        assertThat(parse(tls).tls().httpClientAuth()).isEqualTo(PublicTls.ClientAuth.REQUIRE);
        assertThat(parse("--tls-cert", cert.toString(), "--tls-key", key.toString()).tls().httpClientAuth())
                .isEqualTo(PublicTls.ClientAuth.NONE);
        PublicTls browsable = parse(tls[0], tls[1], tls[2], tls[3], tls[4], tls[5], "--http-tls-client-auth", "none").tls();
        assertThat(browsable.clientAuth()).isEqualTo(PublicTls.ClientAuth.REQUIRE);
        assertThat(browsable.httpClientAuth()).isEqualTo(PublicTls.ClientAuth.NONE);
        assertThat(parse(tls[0], tls[1], tls[2], tls[3], tls[4], tls[5], "--tls-client-auth", "none", "--http-tls-client-auth", "Require")
                .tls().httpClientAuth()).isEqualTo(PublicTls.ClientAuth.REQUIRE);
        Path yaml = Files.writeString(dir.resolve("http.yaml"), "tls-cert: " + cert + "\ntls-key: " + key
                + "\ntls-client-ca: " + ca + "\nhttp-tls-client-auth: optional\n");
        assertThat(parse("--config", yaml.toString()).tls().httpClientAuth()).isEqualTo(PublicTls.ClientAuth.OPTIONAL);
    }

    @Test
    void aBadHttpClientAuthIsOneLineAndExitCode2() {
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--http-tls-client-auth", "maybe"))
                .hasMessage("http-tls-client-auth: 'maybe' (expected: none, optional or require)");
        assertThatThrownBy(() -> parse("--tls-cert", cert.toString(), "--tls-key", key.toString(), "--http-tls-client-auth", "require"))
                .hasMessageStartingWith("tls-client-ca: missing (--http-tls-client-auth require");
        assertThatThrownBy(() -> parse("--http-tls-client-auth", "none")).hasMessageStartingWith("http-tls-client-auth: needs TLS");

        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            String[] args = {"--id", "n1", "--raft", "127.0.0.1:7001", "--grpc", "127.0.0.1:9001", "--peer", "127.0.0.1:7101",
                "--data-dir", dir.resolve("data").toString(), "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                "--http-tls-client-auth", "maybe"};
            code = new CommandLine(new Main()).execute(args);
        } finally {
            System.setErr(saved);
        }
        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isEqualTo(2);
        assertThat(out.strip()).isEqualTo("muster-server: http-tls-client-auth: 'maybe' (expected: none, optional or require)");
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
