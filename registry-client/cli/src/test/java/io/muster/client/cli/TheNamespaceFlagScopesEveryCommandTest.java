package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code -n/--namespace} scopes register, discover, list, maint and deregister to one namespace
 * (default {@code default}); {@code -n '*'} lists every namespace with a NAMESPACE column; a bad
 * namespace is a usage error naming the flag and the allowed form.
 */
@ClusterTest
class TheNamespaceFlagScopesEveryCommandTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.toBuilder().electionTimeoutMs(1000).build());

    @Test
    void oneServiceNameInTwoNamespaces() {
        Cli cli = new Cli(cluster.targets());
        assertThat(cli.run("-n", "shop", "register", "--service", "cart", "--id", "in-shop", "--host", "127.0.0.1", "--port", "8080").code())
                .isEqualTo(0);
        assertThat(cli.run("register", "--service", "cart", "--id", "in-default", "--host", "127.0.0.1", "--port", "8081").code()).isEqualTo(0);

        Cli.Result shop = cli.run("--namespace", "shop", "discover", "cart");
        assertThat(shop.out()).contains("in-shop").doesNotContain("in-default");
        assertThat(cli.run("discover", "cart").out()).contains("in-default").doesNotContain("in-shop");
        assertThat(cli.run("-n", "shop", "list").out()).contains("cart");
        assertThat(cli.run("-n", "other", "list").out()).doesNotContain("cart");
        Cli.Result all = cli.run("-n", "*", "list");
        assertThat(all.out()).contains("NAMESPACE").containsPattern("shop\\s+cart").containsPattern("default\\s+cart");

        assertThat(cli.run("-n", "shop", "maint", "on", "cart", "in-shop", "--reason", "drain").code()).isEqualTo(0);
        assertThat(cli.run("-n", "shop", "discover", "--healthy", "cart").out()).doesNotContain("in-shop");
        assertThat(cli.run("discover", "--healthy", "cart").out()).contains("in-default");
        assertThat(cli.run("deregister", "cart", "in-shop").code()).as("not in default").isEqualTo(ExitCode.NOT_FOUND);
        Cli.Result gone = cli.run("-n", "shop", "deregister", "cart", "in-shop");
        assertThat(gone.code()).isEqualTo(0);
        assertThat(gone.out()).contains("deregistered shop/cart/in-shop");
    }

    @Test
    void aBadNamespaceIsAUsageErrorNamingTheFlag() {
        Cli cli = new Cli(cluster.targets());
        Cli.Result bad = cli.run("-n", "Shop", "discover", "cart");
        assertThat(bad.code()).isEqualTo(ExitCode.USAGE);
        assertThat(bad.err()).contains("--namespace: 'Shop'").contains("[a-z0-9-]");
        Cli.Result star = cli.run("-n", "*", "discover", "cart");
        assertThat(star.code()).isEqualTo(ExitCode.USAGE);
        assertThat(star.err()).contains("--namespace: '*'");
    }
}
