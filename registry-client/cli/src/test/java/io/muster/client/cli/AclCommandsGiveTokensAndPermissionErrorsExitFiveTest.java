package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against members with ACLs on: the operator manages policies and tokens with {@code muster acl},
 * a token made for {@code orders*} registers orders and is refused payments with exit 5 and the
 * missing rule; no token is exit 5 too; a deleted token stops working.
 */
@ClusterTest
class AclCommandsGiveTokensAndPermissionErrorsExitFiveTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).build());

    @TempDir
    Path dir;

    @Test
    void anOperatorMakesATokenThatMayWriteOnlyItsPrefix() throws Exception {
        Cli cli = new Cli(cluster.targets());
        Path rootFile = dir.resolve("root");
        Files.writeString(rootFile, Tokens.bootstrapToken(cluster) + "\n");
        String root = "--token-file=" + rootFile;

        Cli.Result none = cli.run("members");
        assertThat(none.code()).isEqualTo(ExitCode.PERMISSION);
        assertThat(none.err()).contains("UNAUTHENTICATED");
        assertThat(cli.run("acl", "bootstrap").code()).as("bootstrapped already").isEqualTo(ExitCode.ERROR);

        assertThat(cli.run(root, "acl", "policy", "create", "orders-write", "--rule", "write:orders*").code()).isEqualTo(0);
        Cli.Result policies = cli.run(root, "acl", "policy", "list");
        assertThat(policies.out()).contains("orders-write", "write:orders*", "global-management");
        Cli.Result created = cli.run(root, "acl", "token", "create", "--policy", "orders-write", "-d", "orders service");
        assertThat(created.code()).isEqualTo(0);
        String[] lines = created.out().strip().split("\n");
        String token = lines[lines.length - 1].strip();
        String accessor = token.substring(0, token.indexOf('.'));
        assertThat(cli.run(root, "acl", "token", "list").out()).contains(accessor).doesNotContain(token.substring(33));

        assertThat(cli.run("--token", token, "register", "--service", "orders", "--host", "127.0.0.1", "--port", "8080").code()).isEqualTo(0);
        Cli.Result refused = cli.run("--token", token, "register", "--service", "payments", "--host", "127.0.0.1", "--port", "8080");
        assertThat(refused.code()).isEqualTo(ExitCode.PERMISSION);
        assertThat(refused.err()).contains("PERMISSION_DENIED").contains("write on service \"payments\"");
        assertThat(cli.run(root, "acl", "policy", "delete", "orders-write").code()).as("held by a token").isEqualTo(ExitCode.ERROR);

        assertThat(cli.run(root, "acl", "token", "delete", accessor).code()).isEqualTo(0);
        assertThat(cli.run("--token", token, "list").code()).isEqualTo(ExitCode.PERMISSION);
        assertThat(cli.run(root, "acl", "token", "delete", accessor).code()).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(cli.run(root, "acl", "policy", "delete", "orders-write").code()).isEqualTo(0);
        Cli.Result bad = cli.run(root, "acl", "policy", "create", "x", "--rule", "write:Orders");
        assertThat(bad.code()).isEqualTo(ExitCode.USAGE);
        assertThat(bad.err()).contains("service_prefix: 'Orders'");
    }
}
