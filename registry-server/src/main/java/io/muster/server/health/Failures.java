package io.muster.server.health;

import io.muster.api.Causes;

/** Turns exceptions from async clients into short health reasons (shared with {@code health.probe}). */
public final class Failures {
    private Failures() {
    }

    public static Throwable unwrap(Throwable t) {
        return Causes.unwrap(t);
    }

    public static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
