package io.muster.gateway.proxy;

import java.net.ConnectException;

/**
 * No connection could be had for reasons that say nothing about the endpoint's health: its connection
 * limit is reached, or it was closed (drained) between the pick and the connect. Such failures are
 * retried like connect failures but do not count toward outlier ejection.
 */
final class PoolUnavailableException extends ConnectException {

  PoolUnavailableException(String message) {
    super(message);
  }
}
