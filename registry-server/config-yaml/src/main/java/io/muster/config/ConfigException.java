package io.muster.config;

/**
 * A configuration file is invalid or unreadable. The message is one line naming the file and, where
 * it is known, the line, column and key, e.g. {@code gateway.yaml: line 7, column 7: routes[0]:
 * service: required}. An {@link IllegalArgumentException}, so a command line that reports bad flags
 * reports a bad file the same way.
 */
public final class ConfigException extends IllegalArgumentException {

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
