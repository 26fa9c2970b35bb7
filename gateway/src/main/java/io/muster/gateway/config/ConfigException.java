package io.muster.gateway.config;

/**
 * The configuration is invalid. The message names the file, line and key, e.g. {@code gateway.yaml:
 * line 7, column 7: routes[0]: service: required}.
 */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
