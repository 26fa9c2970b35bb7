package io.muster.server.testing;

import io.muster.server.RegistryNode;

/**
 * A member's gauges, read from its meter registry (what its {@code /metrics} serves): how tests
 * observe what the gRPC API does not answer, without reaching into the member's components.
 */
public final class Gauges {

    private Gauges() {
    }

    /** Open watch streams on the member ({@code muster_watch_watchers}). */
    public static int watchers(RegistryNode node) {
        return (int) node.meters().get("muster.watch.watchers").gauge().value();
    }
}
