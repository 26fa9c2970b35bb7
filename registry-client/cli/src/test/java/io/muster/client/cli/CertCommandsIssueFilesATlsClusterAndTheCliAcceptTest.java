package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.server.config.PublicTls;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code muster cert create-ca|create-member|create-client} write the files a member starts with
 * ({@code --tls-cert/--tls-key/--tls-client-ca}, client certificates required) and the CLI talks to
 * it with {@code --ca/--cert/--key}; without them it fails, saying why.
 */
@ClusterTest
class CertCommandsIssueFilesATlsClusterAndTheCliAcceptTest {

    private static Path dir;
    private static LocalCluster cluster;
    private static Cli cli;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("muster-cert-cli-");
        Path tls = dir.resolve("tls");
        Cli offline = new Cli("127.0.0.1:1");
        for (String[] args : new String[][] {
                {"cert", "create-ca", "--dir", tls.toString()},
                {"cert", "create-member", "--dir", tls.toString(), "--id", "n1", "--host", "localhost", "--ip", "127.0.0.1"},
                {"cert", "create-client", "--dir", tls.toString(), "--name", "cli"}}) {
            Cli.Result r = offline.run(args);
            assertThat(r.code()).as(r.err()).isZero();
        }
        cluster = LocalCluster.start(dir.resolve("cluster"), 1, c -> c.withElectionTimeoutMs(1000).toBuilder()
                .tls(new PublicTls(tls.resolve("member-n1.pem"), tls.resolve("member-n1-key.pem"), tls.resolve("ca.pem"),
                        PublicTls.ClientAuth.REQUIRE, PublicTls.DEFAULT_RELOAD_PERIOD)).build());
        cli = new Cli(cluster.targets());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static String[] tls(String... args) {
        Path t = dir.resolve("tls");
        String[] all = {"--ca", t.resolve("ca.pem").toString(), "--cert", t.resolve("client-cli.pem").toString(),
                "--key", t.resolve("client-cli-key.pem").toString(), "--timeout-ms", "3000"};
        String[] out = new String[all.length + args.length];
        System.arraycopy(args, 0, out, 0, args.length);
        System.arraycopy(all, 0, out, args.length, all.length);
        return out;
    }

    @Test
    void theCommandsWriteEachPairWithAnOwnerOnlyKey() throws Exception {
        Path t = dir.resolve("tls");
        for (String name : new String[] {"ca", "member-n1", "client-cli"}) {
            assertThat(t.resolve(name + ".pem")).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(t.resolve(name + "-key.pem")))).isEqualTo("rw-------");
        }
    }

    @Test
    void aFileThatExistsIsReplacedOnlyWithForce() throws Exception {
        Path other = dir.resolve("again");
        Cli offline = new Cli("127.0.0.1:1");
        assertThat(offline.run("cert", "create-ca", "--dir", other.toString()).code()).isZero();
        String before = Files.readString(other.resolve("ca.pem"));
        Cli.Result refused = offline.run("cert", "create-ca", "--dir", other.toString());
        assertThat(refused.code()).isEqualTo(ExitCode.USAGE);
        assertThat(refused.err()).contains("ca.pem: exists (--force replaces it)");
        assertThat(Files.readString(other.resolve("ca.pem"))).isEqualTo(before);
        assertThat(offline.run("cert", "create-ca", "--dir", other.toString(), "--force").code()).isZero();
        assertThat(Files.readString(other.resolve("ca.pem"))).isNotEqualTo(before);
        Cli.Result noAddress = offline.run("cert", "create-member", "--dir", other.toString(), "--id", "n9");
        assertThat(noAddress.code()).isEqualTo(ExitCode.USAGE);
        assertThat(noAddress.err()).contains("--host/--ip: missing");
    }

    @Test
    void theCliWithCaAndClientCertificateRegistersListsAndAsksEachEndpoint() {
        Cli.Result reg = cli.run(tls("register", "--service", "orders", "--id", "o1", "--host", "127.0.0.1", "--port", "80",
                "--ttl-ms", "600000"));
        assertThat(reg.code()).as(reg.err()).isZero();
        Cli.Result list = cli.run(tls("list"));
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("orders");
        Cli.Result status = cli.run(tls("endpoint", "status"));
        assertThat(status.code()).as(status.err()).isZero();
        Cli.Result https = new Cli("https://" + cluster.targets()).run(tls("members"));
        assertThat(https.code()).as(https.err()).isZero();
    }

    @Test
    void withoutTlsOrWithoutAClientCertificateTheCliFailsSayingWhatToGive() {
        Cli.Result plain = cli.run("list", "--timeout-ms", "2000");
        assertThat(plain.code()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(plain.err()).contains("give --ca");
        Cli.Result noCert = cli.run("list", "--ca", dir.resolve("tls").resolve("ca.pem").toString(), "--timeout-ms", "2000");
        assertThat(noCert.code()).isEqualTo(ExitCode.UNAVAILABLE);
    }
}
