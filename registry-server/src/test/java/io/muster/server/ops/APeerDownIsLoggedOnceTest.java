package io.muster.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24: with one of three members killed for 20 s, the survivors used to log dozens of ERROR
 * lines (jraft's {@code Fail to check replicator connection}, bolt's {@code async create connection}).
 * Now the leader says once that the peer is unreachable (WARN), once that it is back (INFO), and
 * {@code muster_peer_reachable{peer}} follows; the follower that stays says nothing at WARN or above.
 */
@ProcessTest
class APeerDownIsLoggedOnceTest {

    private static final Pattern WARN_OR_ERROR = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN|ERROR) .*");

    @TempDir
    static Path dir;
    static ProcessCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() {
        cluster = ProcessCluster.start(dir, 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPeerKilledFor20SecondsGivesOneWarningAndOneReturnLine() throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(30)).id();
        List<String> followers = cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(leader)).toList();
        String victim = followers.get(0);
        String bystander = followers.get(1);
        // the leader has replicated to everyone once: a peer it never reached is not a peer that went away
        Awaitility.await("the leader sees every peer").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> metrics(leader).contains("muster_peer_reachable{node=\"" + leader + "\",peer=\"" + victim + "\"} 1.0"));
        long leaderFrom = Files.size(cluster.member(leader).log());
        long bystanderFrom = Files.size(cluster.member(bystander).log());

        cluster.kill(victim);
        Awaitility.await("the leader counts the peer unreachable").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> metrics(leader).contains("muster_peer_reachable{node=\"" + leader + "\",peer=\"" + victim + "\"} 0.0"));
        // 20 s with the peer down, during which the leader keeps leading
        Awaitility.await("the leader keeps leading while the peer is down").during(Duration.ofSeconds(20)).atMost(Duration.ofSeconds(30))
                .until(() -> cluster.isRunning(leader) && leader.equals(cluster.awaitLeader(Duration.ofSeconds(5)).id()));

        cluster.startNode(victim);
        Awaitility.await("the leader counts the peer reachable again").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> metrics(leader).contains("muster_peer_reachable{node=\"" + leader + "\",peer=\"" + victim + "\"} 1.0"));
        Awaitility.await("the return is logged").atMost(Duration.ofSeconds(10))
                .until(() -> linesSince(leader, leaderFrom).stream().anyMatch(l -> l.contains("INFO") && l.contains("reachable again")));

        List<String> leaderNoise = linesSince(leader, leaderFrom).stream().filter(l -> WARN_OR_ERROR.matcher(l).matches()).toList();
        List<String> bystanderNoise = linesSince(bystander, bystanderFrom).stream().filter(l -> WARN_OR_ERROR.matcher(l).matches()).toList();
        System.out.printf("peer %s down 20 s: leader %s logged %d WARN/ERROR lines, follower %s %d%n", victim, leader,
                leaderNoise.size(), bystander, bystanderNoise.size());
        leaderNoise.forEach(l -> System.out.println("  leader: " + l));
        bystanderNoise.forEach(l -> System.out.println("  follower: " + l));
        assertThat(leaderNoise).singleElement().asString().contains("WARN", victim, "unreachable");
        assertThat(bystanderNoise).isEmpty();
        assertThat(linesSince(leader, leaderFrom).stream().filter(l -> l.contains("reachable again"))).singleElement().asString()
                .contains("INFO", victim);
    }

    private String metrics(String id) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.member(id).metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static List<String> linesSince(String id, long offset) {
        try {
            byte[] all = Files.readAllBytes(cluster.member(id).log());
            String text = new String(Arrays.copyOfRange(all, (int) Math.min(offset, all.length), all.length), StandardCharsets.UTF_8);
            return text.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
