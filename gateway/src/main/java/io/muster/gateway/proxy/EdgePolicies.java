package io.muster.gateway.proxy;

import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.observe.AccessLog;
import io.muster.gateway.observe.RequestIds;
import io.muster.gateway.ratelimit.RouteLimits;
import java.util.Objects;

/**
 * What every request passes at the edge besides routing: the routes' rate limits, its
 * {@code X-Request-Id}, and the access log.
 *
 * @param rateLimits token buckets of the limited routes
 * @param requestIds validates or generates request ids
 * @param accessLog where finished requests are logged ({@link AccessLog#off()} by default)
 */
public record EdgePolicies(RouteLimits rateLimits, RequestIds requestIds, AccessLog accessLog) {

  public EdgePolicies {
    Objects.requireNonNull(rateLimits, "rateLimits");
    Objects.requireNonNull(requestIds, "requestIds");
    Objects.requireNonNull(accessLog, "accessLog");
  }

  /** No rate limits, no access log, ids from the calling thread's random source. */
  public static EdgePolicies defaults() {
    return new EdgePolicies(RouteLimits.none(), new RequestIds(PickerResources.threadLocalRandom()), AccessLog.off());
  }
}
