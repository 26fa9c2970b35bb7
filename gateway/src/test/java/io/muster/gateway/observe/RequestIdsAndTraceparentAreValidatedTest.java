package io.muster.gateway.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import io.muster.testkit.UnitTest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What a client sends as X-Request-Id and traceparent is kept only when well-formed. */
@UnitTest
class RequestIdsAndTraceparentAreValidatedTest {

  private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  private final RequestIds ids = new RequestIds(new SplittableRandom(7)::nextLong);

  @Test
  void aWellFormedIdIsKept() {
    for (String id : List.of("abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "a/b+c=", "x".repeat(128))) {
      HttpHeaders h = new DefaultHttpHeaders().set("X-Request-Id", id);
      assertEquals(id, ids.apply(h));
      assertEquals(List.of(id), h.getAll("x-request-id"));
    }
  }

  @Test
  void aMissingOrMalformedIdIsReplacedBy32HexDigits() {
    List<HttpHeaders> cases = List.of(new DefaultHttpHeaders(),
        new DefaultHttpHeaders().set("x-request-id", ""),
        new DefaultHttpHeaders().set("x-request-id", "x".repeat(129)),
        new DefaultHttpHeaders().set("x-request-id", "a b"),
        new DefaultHttpHeaders().set("x-request-id", "\"quoted\""),
        new DefaultHttpHeaders().set("x-request-id", "é"),
        new DefaultHttpHeaders().add("x-request-id", "one").add("x-request-id", "two"));
    for (HttpHeaders h : cases) {
      String id = ids.apply(h);
      assertTrue(id.matches("[0-9a-f]{32}"), id);
      assertEquals(List.of(id), h.getAll("x-request-id"));
    }
  }

  @Test
  void generatedIdsAreTheRandomSourcesBitsInHex() {
    Deque<Long> longs = new ArrayDeque<>(List.of(0x0123456789abcdefL, -1L));
    RequestIds fixed = new RequestIds(longs::poll);
    assertEquals("0123456789abcdefffffffffffffffff", fixed.generate());
    assertNotEquals(ids.generate(), ids.generate());
  }

  @Test
  void aValidTraceparentAndItsTracestateGoOn() {
    HttpHeaders h = new DefaultHttpHeaders().set("traceparent", PARENT).add("tracestate", "a=1").add("tracestate", "b=2");
    TraceContext.sanitize(h);
    assertEquals(PARENT, h.get("traceparent"));
    assertEquals("a=1,b=2", h.get("tracestate"));
    assertTrue(TraceContext.isValidParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"));
  }

  @Test
  void anInvalidTraceparentIsDroppedWithItsTracestate() {
    for (String bad : List.of("", "garbage", PARENT.toUpperCase(), PARENT + "-x", PARENT.replace("-01", "_01"),
        "ff" + PARENT.substring(2), "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x")) {
      HttpHeaders h = new DefaultHttpHeaders().set("traceparent", bad).set("tracestate", "a=1");
      TraceContext.sanitize(h);
      assertFalse(h.contains("traceparent"), bad);
      assertNull(h.get("tracestate"), bad);
    }
    HttpHeaders two = new DefaultHttpHeaders().add("traceparent", PARENT).add("traceparent", PARENT);
    TraceContext.sanitize(two);
    assertFalse(two.contains("traceparent"));
    HttpHeaders orphan = new DefaultHttpHeaders().set("tracestate", "a=1");
    TraceContext.sanitize(orphan);
    assertFalse(orphan.contains("tracestate"));
  }
}
