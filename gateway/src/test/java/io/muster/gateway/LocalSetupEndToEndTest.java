package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.FreePorts;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local setup's processes, each its own JVM as in deploy/local/run.sh: three registry members,
 * the gateway (registry-fed) and demo services that register themselves with HTTP health checks.
 * Requests flow through the gateway while the registry leader and then a demo service are SIGKILLed.
 */
@ProcessTest
class LocalSetupEndToEndTest {

    // kept when the test fails: every process's log is in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    private Process java(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir,
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        processes.add(p);
        return p;
    }

    @Test
    void gatewayKeepsRoutingWhileTheRegistryLeaderAndABackendAreKilled() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
        try (ProcessCluster registry = ProcessCluster.start(dir.resolve("registry"), 3)) {
            int gwPort = FreePorts.next();
            int adminPort = FreePorts.next();
            Path config = dir.resolve("gateway.yaml");
            Files.writeString(config, """
                    listeners: [{host: 127.0.0.1, port: %d}]
                    admin: {host: 127.0.0.1, port: %d}
                    registry: {targets: [%s]}
                    routes:
                      - {name: hello, prefix: /hello, service: hello, strategy: round-robin, retries: 2,
                         connect-timeout-ms: 300, request-timeout-ms: 3000}
                    """.formatted(gwPort, adminPort, registry.targets()));
            java("gateway", "io.muster.gateway.Main", "--config", config.toString());
            Map<String, Process> demos = new ConcurrentHashMap<>();
            for (String id : List.of("hello-1", "hello-2", "hello-3")) {
                demos.put(id, java(id, "io.muster.client.demo.DemoService", "--service", "hello", "--id", id,
                        "--port", Integer.toString(FreePorts.next()), "--targets", registry.targets()));
            }
            URI hello = URI.create("http://127.0.0.1:" + gwPort + "/hello");
            // all three demo services pass their health checks and take traffic
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                Set<String> seen = ConcurrentHashMap.newKeySet();
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(hello).timeout(Duration.ofSeconds(3)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        seen.add(r.body().split(" ")[2]);
                    }
                }
                return seen.equals(Set.of("hello/hello-1", "hello/hello-2", "hello/hello-3"));
            });

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread load = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(hello).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }, "load");
            load.start();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 50);

            String leader = registry.awaitLeader(Duration.ofSeconds(10)).id();
            registry.kill(leader);
            int afterLeaderKill = ok.get();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > afterLeaderKill + 200);

            Process victim = demos.get("hello-2");
            victim.destroyForcibly();
            victim.waitFor(10, TimeUnit.SECONDS);
            int afterBackendKill = ok.get();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > afterBackendKill + 200);
            stop.set(true);
            load.join(10_000);
            assertThat(failures).as("requests that failed through the gateway").isEmpty();

            // the killed backend is gone from the gateway's pool (health check / lease expiry via the new leader)
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                String pools = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/pools")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return pools.contains("hello-1") && !pools.contains("hello-2");
            });
        } finally {
            for (Process p : processes) {
                p.destroyForcibly();
            }
        }
    }
}
