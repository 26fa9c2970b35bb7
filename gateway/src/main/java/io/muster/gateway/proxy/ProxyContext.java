package io.muster.gateway.proxy;

import io.muster.gateway.route.Router;
import java.util.function.LongSupplier;

/**
 * What every exchange of one proxy shares.
 *
 * @param router routes requests to balancers
 * @param upstream connection pools per endpoint
 * @param retryBudget caps retries across routes
 * @param metrics request and upstream meters
 * @param nanoClock latency and timeouts
 * @param inFlight exchanges in progress and the draining flag
 * @param edge rate limits, request ids, access log
 */
record ProxyContext(Router router, UpstreamConnections upstream, RetryBudget retryBudget, ProxyMetrics metrics,
    LongSupplier nanoClock, InFlight inFlight, EdgePolicies edge) {}
