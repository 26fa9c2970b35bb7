package io.muster.gateway.observe;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) at the proxy boundary: a well-formed
 * {@code traceparent} goes upstream unchanged with its {@code tracestate}; a malformed one is removed
 * with its {@code tracestate} (the spec's rule: tracestate means nothing without a parent, and a
 * backend's tracer would otherwise continue a trace from garbage). The gateway does not start traces
 * (it has no span of its own to report).
 *
 * <p>{@code traceparent} is {@code version-traceid-parentid-flags}: 2, 32, 16 and 2 lower-case hex
 * digits; version {@code ff}, an all-zero trace id or parent id are invalid; version {@code 00} is
 * exactly 55 characters, a later version may carry more after a {@code -}. {@code tracestate} is
 * passed as sent (several header lines joined with commas, as the spec allows) unless longer than
 * {@value #MAX_TRACESTATE} characters, then dropped.
 */
public final class TraceContext {

  public static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
  public static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
  /** The spec's 32 list members of at most 256 characters, plus separators, is about this much. */
  static final int MAX_TRACESTATE = 8192;
  private static final int LENGTH_V00 = 55;

  private TraceContext() {}

  /** Removes {@code traceparent} and {@code tracestate} from {@code headers} unless the parent is valid. */
  public static void sanitize(HttpHeaders headers) {
    if (!headers.contains(TRACEPARENT)) {
      headers.remove(TRACESTATE);
      return;
    }
    List<String> parents = headers.getAll(TRACEPARENT);
    if (parents.size() != 1 || !isValidParent(parents.get(0))) {
      headers.remove(TRACEPARENT);
      headers.remove(TRACESTATE);
      return;
    }
    List<String> states = headers.getAll(TRACESTATE);
    if (states.size() > 1) {
      String joined = String.join(",", states);
      headers.set(TRACESTATE, joined);
      states = List.of(joined);
    }
    if (states.size() == 1 && states.get(0).length() > MAX_TRACESTATE) {
      headers.remove(TRACESTATE);
    }
  }

  /** Whether {@code v} is a {@code traceparent} this gateway forwards. */
  public static boolean isValidParent(String v) {
    if (v.length() < LENGTH_V00) {
      return false;
    }
    if (!hex(v, 0, 2) || v.charAt(2) != '-' || !hex(v, 3, 35) || v.charAt(35) != '-' || !hex(v, 36, 52)
        || v.charAt(52) != '-' || !hex(v, 53, 55)) {
      return false;
    }
    boolean v00 = v.charAt(0) == '0' && v.charAt(1) == '0';
    if (v.startsWith("ff") || (v00 && v.length() != LENGTH_V00) || (!v00 && v.length() > LENGTH_V00
        && v.charAt(LENGTH_V00) != '-')) {
      return false;
    }
    return !zeros(v, 3, 35) && !zeros(v, 36, 52);
  }

  private static boolean hex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean zeros(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }
}
