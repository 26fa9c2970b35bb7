package io.muster.server.health;

import io.muster.api.Causes;

/** Turns exceptions from async clients into short health reasons. */
final class Failures {
    private Failures() {
    }

    static Throwable unwrap(Throwable t) {
        return Causes.unwrap(t);
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
