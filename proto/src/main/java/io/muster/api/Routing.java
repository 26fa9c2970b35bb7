package io.muster.api;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;

/** Which instances take traffic. */
public final class Routing {

    private Routing() {
    }

    /** {@code HEALTHY} and {@code WARNING} (degraded but serving) are routable; everything else is not. */
    public static boolean isRoutable(HealthStatus health) {
        return health == HealthStatus.HEALTHY || health == HealthStatus.WARNING;
    }

    public static boolean isRoutable(Instance instance) {
        return isRoutable(instance.getHealth());
    }
}
