package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.muster.server.RegistryNode;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An SSE client that stops reading while megabytes of changes are written: the writes still
 * complete, a second watcher on the same member (and the same HTTP event loop) still gets every
 * event, and the slow client, once it reads again, is told {@code compacted} and gets a fresh snapshot:
 * its member buffered at most the connection's write limit for it, not the whole backlog.
 */
@ClusterTest
class ASlowSseReaderHoldsBackNeitherOtherWatchersNorWritesTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int WRITES = 120;

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withHistorySize(16).withHttpPort(FreePorts.next()));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();

    @Test
    void aReaderThatStopsIsCompactedWhileTheOthersGoOn() throws Exception {
        RegistryNode member = cluster.aFollower();
        RegistryNode leader = cluster.awaitLeader();
        // ~50 KB of metadata per registration: 6 MB of events in all, more than any socket buffers
        StringBuilder meta = new StringBuilder();
        for (int k = 0; k < 50; k++) {
            meta.append(k == 0 ? "" : ", ").append("\"k").append(k).append("\": \"").append("v".repeat(1000)).append('"');
        }
        try (Socket slow = new Socket(); SseClient fast = SseClient.open(http, uri(member, "/v1/watch?service=bulk"), null)) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", member.httpPort()), (int) WAIT.toMillis());
            slow.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = slow.getOutputStream();
            out.write("GET /v1/watch?service=bulk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(fast.nextMessage(WAIT).event()).isEqualTo("snapshot");

            long start = System.nanoTime();
            long maxWriteMs = 0;
            List<Long> written = new ArrayList<>();
            for (int i = 0; i < WRITES; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(leader, "/v1/services/bulk/instances/b" + i)).timeout(WAIT)
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"instance\": {\"host\": \"127.0.0.1\", \"port\": " + (1000 + i)
                                + ", \"leaseTtlMs\": 3600000, \"metadata\": {" + meta + "}}}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                maxWriteMs = Math.max(maxWriteMs, (System.nanoTime() - t0) / 1_000_000);
                written.add(JsonParser.parseString(r.body()).getAsJsonObject().get("revision").getAsLong());
            }
            List<Long> fastSaw = new ArrayList<>();
            while (fastSaw.size() < WRITES) {
                SseClient.Sse e = fast.nextMessage(WAIT);
                assertThat(e.event()).as("%s", e.event()).isEqualTo("change");
                fastSaw.add(Long.parseLong(e.id()));
            }
            long totalMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(fastSaw).containsExactlyElementsOf(written);
            System.out.printf("%d writes of ~50 KB with a stalled SSE reader: %d ms, slowest %d ms; the other watcher saw all%n",
                    WRITES, totalMs, maxWriteMs);

            // now the slow one reads: what its member still had for it, then compacted and a fresh snapshot
            BufferedReader in = new BufferedReader(new InputStreamReader(slow.getInputStream(), StandardCharsets.UTF_8));
            int changesBefore = 0;
            String line;
            String event = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                    if (event.equals("compacted")) {
                        break;
                    }
                    if (event.equals("change")) {
                        changesBefore++;
                    }
                }
            }
            assertThat(event).as("the stalled reader fell out of the member's history").isEqualTo("compacted");
            assertThat(changesBefore).isLessThan(WRITES);
            Set<String> ids = new TreeSet<>();
            boolean complete = false;
            while (!complete && (line = in.readLine()) != null) {
                if (line.startsWith("data: ") && event.equals("snapshot")) {
                    JsonObject part = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                    if (part.has("instances")) {
                        part.getAsJsonArray("instances").forEach(i -> ids.add(i.getAsJsonObject().get("id").getAsString()));
                    }
                    complete = part.has("snapshotComplete") && part.get("snapshotComplete").getAsBoolean();
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                }
            }
            assertThat(complete).isTrue();
            assertThat(ids).hasSize(WRITES);
            System.out.printf("the stalled reader got %d of %d changes, then compacted and a snapshot of %d instances%n",
                    changesBefore, WRITES, ids.size());
        }
    }

    private static URI uri(RegistryNode node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }
}
