package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code register --ttl-check-ms} plus {@code health report pass|warn|fail} move the instance's health; every check kind registers. */
@ClusterTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthReportDrivesATtlCheckTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    Cli cli;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    void start() {
        cli = new Cli(cluster.targets());
    }

    String health(String service, String id) throws Exception {
        Cli.Result r = cli.run("discover", service, "-o", "json");
        return JSON.readTree(r.out()).path("instances").get(0).path("health").asText();
    }

    @Test
    void passWarnAndFailReachTheInstance() throws Exception {
        Cli.Result reg = cli.run("register", "--service", "cron", "--id", "c1", "--host", "127.0.0.1", "--port", "1",
                "--ttl-ms", "600000", "--ttl-check-ms", "600000");
        assertThat(reg.code()).as(reg.err()).isZero();
        for (String[] step : new String[][] {{"pass", "HEALTHY"}, {"warn", "WARNING"}, {"fail", "UNHEALTHY"}, {"pass", "HEALTHY"}}) {
            Cli.Result r = cli.run("health", "report", "cron", "c1", step[0], "--note", "nightly " + step[0]);
            assertThat(r.code()).as(r.err()).isZero();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> health("cron", "c1").equals(step[1]));
        }
        Cli.Result json = cli.run("health", "report", "cron", "c1", "pass", "-o", "json");
        JsonNode doc = JSON.readTree(json.out());
        assertThat(doc.path("health").asText()).isEqualTo("HEALTHY");
    }

    @Test
    void aReportForAnUnknownInstanceOrCheckIsNotAServerError() {
        Cli.Result r = cli.run("health", "report", "nothing", "here", "pass");
        assertThat(r.code()).as(r.err()).isIn(ExitCode.NOT_FOUND, ExitCode.USAGE);
        assertThat(cli.run("health", "report", "cron", "c1", "maybe").code()).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void everyCheckKindRegisters() throws Exception {
        Cli.Result r = cli.run("register", "--service", "kinds", "--id", "k1", "--host", "127.0.0.1", "--port", "1", "--ttl-ms", "600000",
                "--http-check", "/health", "--tcp-check", "--grpc-check", "--ttl-check-ms", "60000",
                "--custom-check", "switch", "--check-config", "switch=kinds", "--check-interval-ms", "60000");
        assertThat(r.code()).as(r.err()).isZero();
        Cli.Result wide = cli.run("discover", "kinds", "-o", "wide");
        assertThat(wide.out()).contains("http", "tcp", "grpc", "ttl:ttl", "custom");
    }
}
