package io.muster.server.catalog;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;

/**
 * Outcome of one applied command.
 *
 * @param revision revision of the change, or the current revision if nothing changed
 * @param changed  whether the command changed the catalog
 * @param instance the instance affected (after the change), or null
 */
public record ApplyResult(long revision, boolean changed, Instance instance, boolean existed) {

    public static ApplyResult unchanged(long revision) {
        return new ApplyResult(revision, false, null, false);
    }

    public HealthStatus health() {
        return instance == null ? HealthStatus.HEALTH_STATUS_UNSPECIFIED : instance.getHealth();
    }
}
