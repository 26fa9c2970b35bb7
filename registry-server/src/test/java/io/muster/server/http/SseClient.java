package io.muster.server.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test's Server-Sent Events reader over {@link HttpClient}: a daemon thread parses the stream into
 * {@link Sse} values (a comment is one with event {@code ":"}); {@link #next} waits for the next.
 */
final class SseClient implements AutoCloseable {

    /** One SSE message; {@code id} null when the message set none. */
    record Sse(String event, String id, String data) {
    }

    private final BlockingQueue<Sse> received = new LinkedBlockingQueue<>(10_000);
    private final InputStream body;
    final int status;

    private SseClient(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.body = response.body();
        Thread reader = new Thread(this::read, "sse-test-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static SseClient open(HttpClient http, URI uri, String lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = null;
            String id = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (event != null || data.length() > 0) {
                        received.put(new Sse(event == null ? "message" : event, id, data.toString()));
                    }
                    event = null;
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    received.put(new Sse(":", null, line.substring(1).trim()));
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
            received.put(new Sse("end", null, ""));
        } catch (IOException | InterruptedException e) {
            received.offer(new Sse("end", null, e.toString()));
        }
    }

    /** The next message, comments included; fails after {@code timeout}. */
    Sse next(Duration timeout) throws InterruptedException {
        Sse s = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (s == null) {
            throw new AssertionError("no SSE message within " + timeout);
        }
        return s;
    }

    /** The next message that is not a comment. */
    Sse nextMessage(Duration timeout) throws InterruptedException {
        Sse s;
        do {
            s = next(timeout);
        } while (s.event().equals(":"));
        return s;
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
