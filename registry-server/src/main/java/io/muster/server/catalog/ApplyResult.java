package io.muster.server.catalog;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;

/**
 * Outcome of one applied command.
 *
 * @param revision  revision of the change, or the current revision if nothing changed (a rejected
 *                  command takes no revision)
 * @param changed   whether the command changed the catalog; for a retried maintenance change
 *                  answered from {@link AppliedWrites}, whether its first application did (the
 *                  retry itself changes nothing and takes no revision)
 * @param instance  the instance affected (after the change), or null
 * @param rejection why the command was refused (it changed nothing), or null if it applied
 */
public record ApplyResult(long revision, boolean changed, Instance instance, boolean existed, Rejection rejection) {

    public ApplyResult(long revision, boolean changed, Instance instance, boolean existed) {
        this(revision, changed, instance, existed, null);
    }

    public static ApplyResult unchanged(long revision) {
        return new ApplyResult(revision, false, null, false);
    }

    public static ApplyResult rejected(long revision, Rejection rejection) {
        return new ApplyResult(revision, false, null, false, rejection);
    }

    public boolean isRejected() {
        return rejection != null;
    }

    public HealthStatus health() {
        return instance == null ? HealthStatus.HEALTH_STATUS_UNSPECIFIED : instance.getHealth();
    }
}
