package io.muster.api;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;

/** Which instances take traffic: a routable health, and not in maintenance. */
public final class Routing {

    private Routing() {
    }

    /** {@code HEALTHY} and {@code WARNING} (degraded but serving) are routable; everything else is not. */
    public static boolean isRoutable(HealthStatus health) {
        return health == HealthStatus.HEALTHY || health == HealthStatus.WARNING;
    }

    /** A routable health and not in maintenance ({@code SetMaintenance}): an instance out of service takes no traffic. */
    public static boolean isRoutable(Instance instance) {
        return !instance.getMaintenance() && isRoutable(instance.getHealth());
    }
}
