package io.muster.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.Instances;
import io.muster.gateway.testing.TestBackend;
import io.muster.testkit.ClusterTest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sticky sessions and canary overrides, end to end. */
@ClusterTest
class ProxyRoutingPoliciesTest {

  private TestBackend a;
  private TestBackend b;
  private TestBackend canary;
  private GatewayFixture gw;

  @BeforeEach
  void setUp() throws Exception {
    a = new TestBackend("a");
    b = new TestBackend("b");
    canary = new TestBackend("canary");
    gw = new GatewayFixture("""
        routes:
          - prefix: /sticky/
            service: web
            strategy: consistent-hash
            hash-key: {header: X-User}
          - prefix: /cookie/
            service: web
            strategy: consistent-hash
            hash-key: {cookie: session}
          - prefix: /release/
            service: web
            canary:
              metadata: {version: canary}
              percent: 0
              header: X-Canary
        """);
    gw.source.set("web", List.of(a.instance("web"), b.instance("web"),
        Instances.withMetadata("web", "canary", canary.port(), Map.of("version", "canary"))));
  }

  @AfterEach
  void tearDown() {
    gw.close();
    a.close();
    b.close();
    canary.close();
  }

  private String get(String path, String header, String value) throws Exception {
    HttpResponse<String> r = gw.client.send(gw.request(path).header(header, value).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  @Test
  void theSameUserAlwaysReachesTheSameBackend() throws Exception {
    Map<String, String> owner = new HashMap<>();
    Set<String> used = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      for (int user = 0; user < 20; user++) {
        String backend = get("/sticky/x", "X-User", "user-" + user);
        String before = owner.putIfAbsent("user-" + user, backend);
        if (before != null) {
          assertEquals(before, backend, "user-" + user);
        }
        used.add(backend);
      }
    }
    assertTrue(used.size() > 1, "users spread over backends: " + used);
    String bySession = get("/cookie/x", "Cookie", "theme=dark; session=abc123");
    for (int i = 0; i < 5; i++) {
      assertEquals(bySession, get("/cookie/x", "Cookie", "session=abc123"));
    }
  }

  @Test
  void theCanaryHeaderOverridesAZeroPercentSplit() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertTrue(Set.of("a", "b").contains(get("/release/x", "X-Other", "1")));
      assertEquals("canary", get("/release/x", "X-Canary", "1"));
    }
  }
}
