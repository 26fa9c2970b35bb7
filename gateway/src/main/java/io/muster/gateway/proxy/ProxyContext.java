package io.muster.gateway.proxy;

import io.muster.gateway.route.Router;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * What every exchange of one proxy shares.
 *
 * @param router routes requests to balancers
 * @param upstream connection pools per endpoint
 * @param retryBudget caps retries across routes
 * @param metrics request and upstream meters
 * @param nanoClock latency and timeouts
 * @param random retry back-off jitter; thread-safe
 * @param inFlight exchanges in progress and the draining flag
 * @param edge rate limits, request ids, access log
 */
record ProxyContext(Router router, UpstreamConnections upstream, RetryBudget retryBudget, ProxyMetrics metrics,
    LongSupplier nanoClock, RandomGenerator random, InFlight inFlight, EdgePolicies edge) {}
