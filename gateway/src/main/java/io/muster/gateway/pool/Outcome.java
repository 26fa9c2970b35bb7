package io.muster.gateway.pool;

/** How a request to an endpoint ended, as far as outlier detection is concerned. */
public enum Outcome {
  /** A response below 500: resets the consecutive-failure count. */
  SUCCESS,
  /** Connect failure, reset, timeout or a 5xx response: counts toward ejection. */
  FAILURE,
  /** Says nothing about the endpoint (e.g. the client went away): no effect on outlier state. */
  NEUTRAL
}
