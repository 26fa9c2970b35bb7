package io.muster.gateway.observe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one JSON line per finished request, written by one thread of its own.
 *
 * <p>Event loops only {@link #log offer} an entry to a bounded queue; when the queue is full (the
 * output cannot keep up, e.g. a slow disk or a blocked stdout pipe) the entry is dropped and counted
 * in {@code muster.gateway.accesslog.dropped}: a proxy that waits for its log stops proxying. The
 * writer thread formats and writes in batches and flushes when the queue runs empty, so a quiet
 * gateway's lines are out at once and a busy one's go in large writes.
 *
 * <p>Thread-safe. {@link #off()} is the default: {@link #enabled()} false, nothing allocated per request.
 */
public final class AccessLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final int BATCH = 512;
  private static final AccessLog OFF = new AccessLog();

  private final ArrayBlockingQueue<AccessLogEntry> queue;
  private final OutputStream out;
  private final boolean closeOut;
  private final Clock clock;
  private final Counter dropped;
  private final Counter written;
  private final Counter errors;
  private final Thread writer;
  private volatile boolean closed;

  private AccessLog() {
    queue = null;
    out = null;
    closeOut = false;
    clock = null;
    dropped = written = errors = null;
    writer = null;
  }

  private AccessLog(OutputStream out, boolean closeOut, int capacity, Clock clock, MeterRegistry meters) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.out = out;
    this.closeOut = closeOut;
    this.clock = clock;
    this.dropped = Counter.builder("muster.gateway.accesslog.dropped")
        .description("Access log lines dropped because the writer's queue was full").register(meters);
    this.written = Counter.builder("muster.gateway.accesslog.written")
        .description("Access log lines written").register(meters);
    this.errors = Counter.builder("muster.gateway.accesslog.errors")
        .description("Access log writes that failed").register(meters);
    this.writer = new Thread(this::run, "muster-gw-accesslog");
    this.writer.setDaemon(true);
  }

  /** No access log. */
  public static AccessLog off() {
    return OFF;
  }

  /**
   * Starts the writer thread.
   *
   * @param out where lines go; closed by {@link #close()} when {@code closeOut}
   * @param capacity entries the queue holds before it drops
   * @param clock wall clock for each line's timestamp
   */
  public static AccessLog start(OutputStream out, boolean closeOut, int capacity, Clock clock, MeterRegistry meters) {
    if (capacity < 1) {
      throw new IllegalArgumentException("queue-capacity: " + capacity + " (expected: >= 1)");
    }
    AccessLog a = new AccessLog(out, closeOut, capacity, clock, meters);
    a.writer.start();
    return a;
  }

  public boolean enabled() {
    return queue != null;
  }

  /** The wall clock now, in epoch milliseconds (for {@link AccessLogEntry#startMillis()}). */
  public long nowMillis() {
    return clock.millis();
  }

  /** Queues {@code entry}; never blocks. @return false when it was dropped */
  public boolean log(AccessLogEntry entry) {
    if (queue == null || closed) {
      return false;
    }
    if (queue.offer(entry)) {
      return true;
    }
    dropped.increment();
    return false;
  }

  /** Lines dropped so far. */
  public long dropped() {
    return dropped == null ? 0 : (long) dropped.count();
  }

  private void run() {
    JsonFactory json = new JsonFactory().setRootValueSeparator(null); // lines end with '\n' instead
    List<AccessLogEntry> batch = new ArrayList<>(BATCH);
    try (JsonGenerator g = json.createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
      while (!closed || !queue.isEmpty()) {
        AccessLogEntry first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        try {
          for (AccessLogEntry e : batch) {
            write(g, e);
          }
          g.flush();
          if (queue.isEmpty()) {
            out.flush();
          }
          written.increment(batch.size());
        } catch (IOException e) {
          errors.increment(batch.size());
          log.warn("access log: cannot write {} line(s): {}", batch.size(), e.toString());
        }
        batch.clear();
      }
      g.flush();
      out.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      log.warn("access log writer stopped", e);
    }
  }

  private static void write(JsonGenerator g, AccessLogEntry e) throws IOException {
    g.writeStartObject();
    g.writeStringField("time", TIME.format(java.time.Instant.ofEpochMilli(e.startMillis())));
    g.writeStringField("request_id", e.requestId());
    g.writeStringField("method", e.method());
    g.writeStringField("authority", e.authority());
    g.writeStringField("path", e.path());
    g.writeStringField("protocol", e.protocol());
    g.writeBooleanField("grpc", e.grpc());
    g.writeNumberField("status", e.status());
    g.writeNumberField("bytes_in", e.bytesIn());
    g.writeNumberField("bytes_out", e.bytesOut());
    g.writeNumberField("duration_us", e.durationMicros());
    g.writeStringField("upstream", e.upstream());
    g.writeNumberField("attempts", e.attempts());
    g.writeStringField("route", e.route());
    g.writeEndObject();
    g.writeRaw('\n');
  }

  /** Writes what is queued (waiting up to 5 s for the writer), then stops it. */
  @Override
  public void close() {
    if (queue == null || closed) {
      return;
    }
    closed = true;
    try {
      writer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closeOut) {
      try {
        out.close();
      } catch (IOException e) {
        log.warn("access log: close failed: {}", e.toString());
      }
    }
  }
}
