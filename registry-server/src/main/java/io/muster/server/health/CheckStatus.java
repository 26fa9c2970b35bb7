package io.muster.server.health;

import io.muster.api.v1.HealthStatus;

/** Settled status of one check, after its rise / fall thresholds. */
enum CheckStatus {
    /** No threshold crossed yet (the instance is PENDING). */
    UNKNOWN,
    PASSING,
    /** Passing but degraded: a TTL report said "warn". */
    WARNING,
    FAILING;

    /**
     * Where a check starts when this member takes it over: from the instance's replicated status, so
     * a new owner does not undo what the previous owner established. Counters start fresh.
     */
    static CheckStatus initial(HealthStatus instanceHealth, boolean ttl) {
        return switch (instanceHealth) {
            case HEALTHY -> PASSING;
            // WARNING comes only from TTL reports: the TTL checks carry it, the others passed
            case WARNING -> ttl ? WARNING : PASSING;
            case UNHEALTHY -> FAILING;
            default -> UNKNOWN;
        };
    }
}
