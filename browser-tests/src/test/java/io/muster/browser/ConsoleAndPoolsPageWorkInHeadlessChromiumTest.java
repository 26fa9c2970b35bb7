package io.muster.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpServer;
import io.muster.api.v1.Access;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.gateway.GatewayServer;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.pool.StaticInstanceSource;
import io.muster.server.RegistryNode;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The member's console and the gateway's pools page in Debian's Chromium (headless, driven by
 * Playwright from {@code src/test/browser/console.mjs}) against a real 3-member cluster with ACLs on
 * and a real gateway: the pages render; without a token the server's 401 is shown; a registration
 * appears on the open service page within a second; a health flip shows; a read token's action is
 * refused with the server's 403 and an operator token's works; the members page lists every member
 * alive with its own term and applied index (one number once all have applied the writes). Screenshots in
 * {@code target/browser-screenshots}. The script prints {@code ok <step>} per step and exits non-zero
 * on the first failure, which this test reports with the script's whole output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class ConsoleAndPoolsPageWorkInHeadlessChromiumTest {

    private static final Duration SCRIPT_DEADLINE = Duration.ofSeconds(240);

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).httpPort(FreePorts.next()).build());

    private final GatewayServer gateway = new GatewayServer();
    private HttpServer backend;
    private String operator;
    private String reader;
    private InetSocketAddress admin;

    @BeforeAll
    void start() throws IOException {
        operator = Tokens.bootstrapToken(cluster);
        reader = Tokens.tokenWith(cluster.channel(cluster.awaitLeader().id()), operator, "console-read", Tokens.rule(Access.READ, ""));
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.createContext("/", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        backend.start();
        StaticInstanceSource source = new StaticInstanceSource();
        source.set("web", List.of(
                Instance.newBuilder().setService("web").setId("web-1").setHost("127.0.0.1").setPort(backend.getAddress().getPort())
                        .setWeight(100).setHealth(HealthStatus.HEALTHY).build(),
                Instance.newBuilder().setService("web").setId("web-2").setHost("127.0.0.1").setPort(backend.getAddress().getPort())
                        .setWeight(50).setHealth(HealthStatus.HEALTHY).build()));
        admin = gateway.start(ConfigLoader.parse("""
                listeners:
                  - host: 127.0.0.1
                    port: 0
                admin:
                  host: 127.0.0.1
                  port: 0
                routes:
                  - prefix: /
                    service: web
                """, "browser-test.yaml"), source).admin();
    }

    @AfterAll
    void stop() {
        gateway.close();
        if (backend != null) {
            backend.stop(0);
        }
    }

    @Test
    void theConsoleShowsLiveChangesAndActsOnlyWithATokenThatMay() throws Exception {
        JsonObject config = new JsonObject();
        JsonArray members = new JsonArray();
        for (RegistryNode node : cluster.nodes()) {
            members.add("http://127.0.0.1:" + node.httpPort());
        }
        config.add("members", members);
        config.addProperty("operatorToken", operator);
        config.addProperty("readToken", reader);
        config.addProperty("gatewayAdmin", "http://127.0.0.1:" + admin.getPort());
        config.addProperty("chromium", chromium());
        Path shots = Path.of(System.getProperty("browser.screenshots", "target/browser-screenshots"));
        Files.createDirectories(shots);
        config.addProperty("screenshots", shots.toAbsolutePath().toString());

        Script run = node("console.mjs", config);
        assertThat(run.exitCode()).as("console.mjs failed:%n%s", run.output()).isZero();
        assertThat(run.output()).contains(
                "ok without a token the server's 401 is shown",
                "ok services page renders",
                "ok a registration appears on the open service page within 1000 ms",
                "ok a health flip shows",
                "ok a read token's deregister is refused with the server's 403",
                "ok an operator token's maintenance and deregister work",
                "ok members page shows every member's applied index and leadership moves",
                "ok the gateway's pools page renders");
        assertThat(shots.resolve("service.png")).exists();
    }

    private record Script(int exitCode, String output) {
    }

    /** Runs {@code node <script>} in the browser directory with the config as its argument, within a deadline. */
    private static Script node(String script, JsonObject config) throws IOException, InterruptedException {
        Path dir = Path.of(System.getProperty("browser.dir", "src/test/browser"));
        ProcessBuilder pb = new ProcessBuilder("node", script, config.toString()).directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println("[" + script + "] " + line);
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "browser-script-output");
        reader.setDaemon(true);
        reader.start();
        boolean finished = p.waitFor(SCRIPT_DEADLINE.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String output;
        synchronized (lines) {
            output = String.join("\n", lines);
        }
        return new Script(finished ? p.exitValue() : -1, finished ? output : output + "\n(killed after " + SCRIPT_DEADLINE + ")");
    }

    private static String chromium() {
        for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("no Chromium at /usr/bin/chromium: this module runs only where it exists (the root pom's browser-tests profile)");
    }
}
