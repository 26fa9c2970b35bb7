package io.muster.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.config.ConfigException;
import io.muster.gateway.ratelimit.RateLimit;
import io.muster.testkit.UnitTest;
import org.junit.jupiter.api.Test;

/** routes[].rate-limit and access-log: defaults (both off), and errors that name the key. */
@UnitTest
class RateLimitAndAccessLogKeysAreValidatedWithClearErrorsTest {

  private static GatewayConfig parse(String routes, String more) {
    return ConfigLoader.parse("listeners: [{port: 0}]\nroutes:\n" + routes + more, "test.yaml");
  }

  private static String error(String routes, String more) {
    return assertThrows(ConfigException.class, () -> parse(routes, more)).getMessage();
  }

  @Test
  void bothAreOffByDefaultAndTheBurstDefaultsToOneSecondsWorth() {
    GatewayConfig c = parse("  - {service: s}\n", "");
    assertNull(c.routes().get(0).rateLimit());
    assertNull(c.accessLog());
    assertEquals(new RateLimit(2.5, 3), parse("  - {service: s, rate-limit: {requests-per-second: 2.5}}\n", "")
        .routes().get(0).rateLimit().toRateLimit());
    assertEquals(new RateLimit(0.1, 1), parse("  - {service: s, rate-limit: {requests-per-second: 0.1}}\n", "")
        .routes().get(0).rateLimit().toRateLimit());
    AccessLogConfig log = parse("  - {service: s}\n", "access-log: {output: stdout}\n").accessLog();
    assertTrue(log.stdout());
    assertEquals(16_384, log.queueCapacity());
  }

  @Test
  void badValuesNameTheirKey() {
    String e1 = error("  - {service: s, rate-limit: {burst: 5}}\n", "");
    assertTrue(e1.contains("routes[0].rate-limit: requests-per-second: required"), e1);
    String e2 = error("  - {service: s, rate-limit: {requests-per-second: 0}}\n", "");
    assertTrue(e2.contains("requests-per-second: 0.0 (expected: 0.001-1000000000)"), e2);
    String e3 = error("  - {service: s, rate-limit: {requests-per-second: 5, burst: 0}}\n", "");
    assertTrue(e3.contains("burst: 0 (expected: 1-1000000000)"), e3);
    String e4 = error("  - {service: s}\n", "access-log: {queue-capacity: 10}\n");
    assertTrue(e4.contains("access-log: output: required"), e4);
    String e5 = error("  - {service: s}\n", "access-log: {output: stdout, queue-capacity: 0}\n");
    assertTrue(e5.contains("queue-capacity: 0 (expected: 1-10000000)"), e5);
  }
}
