package io.muster.gateway.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.lb.Strategy;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@UnitTest
class RouterMatchesHostAndPrefixTest {

  private static Route route(String name, String host, String prefix, String rewrite) {
    return new Route(name, host, prefix, "svc-" + name, rewrite, Strategy.ROUND_ROBIN, null, Duration.ofSeconds(1),
        Duration.ofSeconds(1), Duration.ofSeconds(1), 0, null);
  }

  private final Router router = new Router(List.of(
      new RouteBalancer(route("root", null, "/", null), PickerResources.system()),
      new RouteBalancer(route("api", null, "/api/", "/"), PickerResources.system()),
      new RouteBalancer(route("api-v2", null, "/api/v2/", "/v2/"), PickerResources.system()),
      new RouteBalancer(route("shop", "Shop.Example.com", "/", null), PickerResources.system())));

  private String match(String host, String uri) {
    RouteBalancer r = router.match(host, uri);
    return r == null ? null : r.route().name();
  }

  @Test
  void longestPrefixWinsAndQueryIsIgnored() {
    assertEquals("root", match("x", "/index.html"));
    assertEquals("api", match("x", "/api/users?id=/api/v2/"));
    assertEquals("api-v2", match("x", "/api/v2/users"));
  }

  @Test
  void aHostRouteBeatsAnyPrefixAndIgnoresCaseAndPort() {
    assertEquals("shop", match("shop.example.com:8080", "/api/v2/users"));
    assertEquals("shop", match("SHOP.example.COM", "/"));
    assertEquals("api", match("other.example.com", "/api/x"));
  }

  @Test
  void nothingMatchesWithoutACatchAll() {
    Router narrow = new Router(List.of(new RouteBalancer(route("api", null, "/api/", null), PickerResources.system())));
    assertNull(narrow.match("x", "/other"));
  }

  @Test
  void rewriteReplacesThePrefixAndKeepsTheQuery() {
    assertEquals("/users?id=1", route("api", null, "/api/", "/").rewriteUri("/api/users?id=1"));
    assertEquals("/", route("api", null, "/api", "").rewriteUri("/api"));
    assertEquals("/x", route("api", null, "/api", "").rewriteUri("/api/x"));
    assertEquals("/v2/users", route("api", null, "/api/v2/", "/v2/").rewriteUri("/api/v2/users"));
    assertEquals("/internal/users", route("api", null, "/api/", "/internal/").rewriteUri("/api/users"));
    assertEquals("/api/users", route("api", null, "/api/", null).rewriteUri("/api/users"));
  }

  @Test
  void invalidRoutesAreRejectedWithTheKeyName() {
    var e = assertThrows(IllegalArgumentException.class, () -> route("bad", null, "api", null));
    assertEquals("prefix: 'api' (expected: starts with /)", e.getMessage());
    var hash = assertThrows(IllegalArgumentException.class, () -> new Route("h", null, "/", "svc", null,
        Strategy.CONSISTENT_HASH, null, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 0, null));
    assertEquals("hash-key: required by strategy consistent-hash", hash.getMessage());
  }
}
