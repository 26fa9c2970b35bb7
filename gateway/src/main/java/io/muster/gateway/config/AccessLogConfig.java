package io.muster.gateway.config;

import static io.muster.gateway.config.Checks.checkArgument;

/**
 * The access log (off without this section): one JSON line per request, written by a thread of its own.
 *
 * @param output {@code stdout}, or a file appended to (created if missing)
 * @param queueCapacity lines waiting for the writer before new ones are dropped (and counted), default 16384
 */
public record AccessLogConfig(String output, Integer queueCapacity) {

  public static final int DEFAULT_QUEUE_CAPACITY = 16_384;

  public AccessLogConfig {
    Checks.required(output, "output");
    queueCapacity = queueCapacity == null ? DEFAULT_QUEUE_CAPACITY : queueCapacity;
    checkArgument(queueCapacity >= 1 && queueCapacity <= 10_000_000, "queue-capacity: %s (expected: 1-10000000)",
        queueCapacity);
  }

  public boolean stdout() {
    return output.equals("stdout");
  }
}
