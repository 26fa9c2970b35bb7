package io.muster.gateway.route;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When a route sends a request again (Envoy's {@code retry_on}): the conditions, how many further
 * attempts, and how long one attempt may wait for its response head.
 *
 * <p>Whatever the conditions say, a retry needs the request to be replayable: after a connect failure
 * always (nothing was sent), otherwise only an idempotent method whose body bytes never left the
 * gateway; and it spends a token of the gateway-wide retry budget.
 *
 * @param on the conditions that trigger a retry
 * @param statusCodes response codes retried under {@link On#RETRIABLE_STATUS_CODES}
 * @param maxRetries further attempts after the first, 0-10
 * @param perTryTimeout how long one attempt may wait for its response head, from when it started or
 *     the request was complete, whichever is later; {@code null}: only the route's request timeout
 * @param reuseTried when every endpoint was tried, a retry may go to one of them again (an explicit
 *     {@code retry} section); otherwise only endpoints not tried yet (the plain {@code retries} key)
 * @param backoff the wait before each retry, or {@code null} for none (the plain {@code retries} key:
 *     an immediate failover to another endpoint)
 * @param bufferLimitBytes request body bytes kept for replay (Envoy's {@code per_request_buffer_limit_bytes}):
 *     an idempotent request whose whole body fits can be retried after its body was sent; 0 keeps none
 */
public record RetryPolicy(Set<On> on, Set<Integer> statusCodes, int maxRetries, Duration perTryTimeout,
    boolean reuseTried, RetryBackoff backoff, int bufferLimitBytes) {

  /** Envoy's listener buffer limit is 1 MiB; smaller here: it is held per request in flight. */
  public static final int DEFAULT_BUFFER_LIMIT_BYTES = 64 * 1024;
  public static final int MAX_BUFFER_LIMIT_BYTES = 64 * 1024 * 1024;

  /** A retry condition, named as in configuration files. */
  public enum On {
    /** The connection (or TLS handshake) to the backend failed: nothing was sent. */
    CONNECT_FAILURE("connect-failure"),
    /** The backend broke the connection before a response head. */
    RESET("reset"),
    /** Any 5xx answer, a per-try timeout, a connect failure or a reset. */
    FIVE_XX("5xx"),
    /** A 502, 503 or 504 answer, a per-try timeout, a connect failure or a reset. */
    GATEWAY_ERROR("gateway-error"),
    /** An answer whose code is in {@link RetryPolicy#statusCodes()}. */
    RETRIABLE_STATUS_CODES("retriable-status-codes");

    private final String configName;

    On(String configName) {
      this.configName = configName;
    }

    public String configName() {
      return configName;
    }

    /** @throws IllegalArgumentException naming the allowed values */
    public static On parse(String name) {
      for (On o : values()) {
        if (o.configName.equals(name == null ? null : name.trim().toLowerCase(Locale.ROOT))) {
          return o;
        }
      }
      throw new IllegalArgumentException("retry-on: '" + name + "' (expected one of: "
          + EnumSet.allOf(On.class).stream().map(On::configName).collect(Collectors.joining(", ")) + ")");
    }
  }

  public RetryPolicy {
    on = on == null || on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
    statusCodes = statusCodes == null ? Set.of() : Set.copyOf(statusCodes);
    for (int code : statusCodes) {
      if (code < 100 || code > 599) {
        throw new IllegalArgumentException("retriable-status-codes: " + code + " (expected: 100-599)");
      }
    }
    if (maxRetries < 0 || maxRetries > 10) {
      throw new IllegalArgumentException("max-retries: " + maxRetries + " (expected: 0-10)");
    }
    if (perTryTimeout != null && (perTryTimeout.isNegative() || perTryTimeout.isZero())) {
      throw new IllegalArgumentException("per-try-timeout-ms: " + perTryTimeout.toMillis() + " (expected: > 0)");
    }
    if (bufferLimitBytes < 0 || bufferLimitBytes > MAX_BUFFER_LIMIT_BYTES) {
      throw new IllegalArgumentException("per-request-buffer-limit-bytes: " + bufferLimitBytes + " (expected: 0-"
          + MAX_BUFFER_LIMIT_BYTES + ")");
    }
  }

  /** What the plain {@code retries} key means: connect failures and resets, untried endpoints only. */
  public static RetryPolicy legacy(int retries) {
    return new RetryPolicy(Set.of(On.CONNECT_FAILURE, On.RESET), Set.of(), retries, null, false, null, 0);
  }

  private boolean anyFailure() {
    return on.contains(On.FIVE_XX) || on.contains(On.GATEWAY_ERROR);
  }

  /** Retry after the connection to the backend could not be opened. */
  public boolean onConnectFailure() {
    return on.contains(On.CONNECT_FAILURE) || anyFailure();
  }

  /** Retry after the backend broke the connection before answering. */
  public boolean onReset() {
    return on.contains(On.RESET) || anyFailure();
  }

  /** Retry after an attempt ran past {@link #perTryTimeout()} (Envoy treats it as a 504 answer). */
  public boolean onPerTryTimeout() {
    return onStatus(504);
  }

  /** Retry after an answer with {@code code}. */
  public boolean onStatus(int code) {
    return (on.contains(On.FIVE_XX) && code >= 500 && code <= 599)
        || (on.contains(On.GATEWAY_ERROR) && (code == 502 || code == 503 || code == 504))
        || (on.contains(On.RETRIABLE_STATUS_CODES) && statusCodes.contains(code));
  }

  /** Whether any answer status is retried at all (the exchange checks nothing per head otherwise). */
  public boolean retriesStatuses() {
    return anyFailure() || on.contains(On.RETRIABLE_STATUS_CODES);
  }
}
