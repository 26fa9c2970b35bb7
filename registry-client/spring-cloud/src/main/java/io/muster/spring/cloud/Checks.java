package io.muster.spring.cloud;

import java.time.Duration;
import java.util.Objects;

/** Range checks of the properties: the message names the property and the allowed range. */
final class Checks {

    private Checks() {
    }

    static int between(String property, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(property + ": " + value + " (expected: " + min + "-" + max + ")");
        }
        return value;
    }

    static Duration between(String property, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, property);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(property + ": " + value.toMillis() + "ms (expected: "
                    + min.toMillis() + "-" + max.toMillis() + "ms)");
        }
        return value;
    }
}
