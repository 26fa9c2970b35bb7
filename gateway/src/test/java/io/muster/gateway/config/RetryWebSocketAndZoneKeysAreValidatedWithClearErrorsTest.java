package io.muster.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.config.ConfigException;
import io.muster.gateway.route.RetryPolicy;
import io.muster.gateway.route.Route;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The retry, websocket, zone-aware and locality keys: defaults, and errors that name the key. */
@UnitTest
class RetryWebSocketAndZoneKeysAreValidatedWithClearErrorsTest {

  private static GatewayConfig parse(String more, String routes) {
    return ConfigLoader.parse("listeners: [{port: 0}]\n" + more + "routes:\n" + routes, "test.yaml");
  }

  private static String error(String more, String routes) {
    return assertThrows(ConfigException.class, () -> parse(more, routes)).getMessage();
  }

  @Test
  void aPlainRouteKeepsTheRetriesRuleWebSocketsOnAndZonesOff() {
    Route r = parse("", "  - {service: s, retries: 3}\n").routes().get(0).toRoute();
    RetryPolicy retry = r.policies().retry();
    assertEquals(Set.of(RetryPolicy.On.CONNECT_FAILURE, RetryPolicy.On.RESET), retry.on());
    assertEquals(3, retry.maxRetries());
    assertFalse(retry.reuseTried());
    assertNull(retry.perTryTimeout());
    assertFalse(retry.retriesStatuses());
    assertTrue(r.policies().webSocket().enabled());
    assertEquals(Duration.ofMinutes(5), r.policies().webSocket().idleTimeout());
    assertFalse(r.policies().zoneAware().enabled());
  }

  @Test
  void aRetrySectionReadsLikeEnvoys() {
    Route r = parse("locality: {zone: a}\n", """
          - service: s
            retry: {retry-on: [gateway-error], retriable-status-codes: [409], per-try-timeout-ms: 250}
            websocket: {idle-timeout-ms: 1000}
            zone-aware: {min-cluster-size: 3}
        """).routes().get(0).toRoute();
    RetryPolicy retry = r.policies().retry();
    assertEquals(1, retry.maxRetries(), "the default of retries");
    assertTrue(retry.reuseTried());
    assertTrue(retry.onStatus(503) && retry.onStatus(409) && !retry.onStatus(500));
    assertTrue(retry.onConnectFailure() && retry.onReset() && retry.onPerTryTimeout());
    assertEquals(Duration.ofMillis(250), retry.perTryTimeout());
    assertEquals(Duration.ofSeconds(1), r.policies().webSocket().idleTimeout());
    assertTrue(r.policies().zoneAware().enabled());
    assertEquals(3, r.policies().zoneAware().minClusterSize());
  }

  @Test
  void aRetrySectionBacksOffLikeEnvoyAndKeepsBodiesUpToTheLimit() {
    RetryPolicy defaults = parse("", "  - {service: s, retry: {retry-on: [5xx]}}\n").routes().get(0).toRoute()
        .policies().retry();
    assertEquals(Duration.ofMillis(25), defaults.backoff().base());
    assertEquals(Duration.ofMillis(250), defaults.backoff().max());
    assertEquals(65_536, defaults.bufferLimitBytes());
    RetryPolicy set = parse("", "  - {service: s, retry: {backoff: {base-interval-ms: 100}, per-request-buffer-limit-bytes: 0}}\n")
        .routes().get(0).toRoute().policies().retry();
    assertEquals(Duration.ofMillis(1_000), set.backoff().max(), "ten times the base");
    assertEquals(0, set.bufferLimitBytes());
    RetryPolicy plain = parse("", "  - {service: s, retries: 2}\n").routes().get(0).toRoute().policies().retry();
    assertNull(plain.backoff(), "the plain retries key fails over at once");
    assertEquals(0, plain.bufferLimitBytes());
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(error("", "  - {service: s, retry: {retry-on: [503]}}\n")
        .contains("retry-on: '503' (expected one of: connect-failure, reset, 5xx, gateway-error, retriable-status-codes)"));
    assertTrue(error("", "  - {service: s, retry: {retriable-status-codes: [700]}}\n")
        .contains("retriable-status-codes: 700 (expected: 100-599)"));
    assertTrue(error("", "  - {service: s, retry: {max-retries: 11}}\n").contains("max-retries: 11 (expected: 0-10)"));
    assertTrue(error("", "  - {service: s, retries: 2, retry: {max-retries: 2}}\n")
        .contains("set either retries or retry.max-retries, not both"));
    assertTrue(error("", "  - {service: s, retry: {per-try-timeout-ms: 0}}\n")
        .contains("per-try-timeout-ms: 0 (expected: > 0)"));
    assertTrue(error("", "  - {service: s, retry: {backoff: {base-interval-ms: 0}}}\n")
        .contains("backoff.base-interval-ms: 0 (expected: 1-3600000)"));
    assertTrue(error("", "  - {service: s, retry: {backoff: {base-interval-ms: 50, max-interval-ms: 40}}}\n")
        .contains("backoff.max-interval-ms: 40 (expected: base-interval-ms (50) to 3600000)"));
    assertTrue(error("", "  - {service: s, retry: {per-request-buffer-limit-bytes: -1}}\n")
        .contains("per-request-buffer-limit-bytes: -1 (expected: 0-67108864)"));
    assertTrue(error("", "  - {service: s, websocket: {idle-timeout-ms: 0}}\n")
        .contains("websocket.idle-timeout-ms: 0 (expected: > 0)"));
    assertTrue(error("locality: {zone: a}\n", "  - {service: s, zone-aware: {min-cluster-size: 0}}\n")
        .contains("zone-aware.min-cluster-size: 0 (expected: 1-100000)"));
    assertTrue(error("", "  - {service: s, zone-aware: {}}\n")
        .contains("routes[0].zone-aware: needs the gateway's zone (locality.zone)"));
    assertTrue(error("locality: {local-cluster: gateways}\n", "  - {service: s}\n")
        .contains("locality.local-cluster: needs locality.zone"));
  }
}
