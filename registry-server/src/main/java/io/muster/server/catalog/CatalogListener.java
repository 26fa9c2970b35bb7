package io.muster.server.catalog;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import java.util.Collection;
import java.util.List;

/**
 * Observes catalog changes. Called on the Raft apply thread while the catalog's write lock is held:
 * implementations must be quick and must never block (hand work to their own executor).
 */
public interface CatalogListener {

    /** Events of one applied command, in revision order. */
    void onEvents(List<Event> events);

    /** The whole catalog was replaced (snapshot load or restore) at {@code revision}. */
    void onReset(Collection<Instance> instances, long revision);
}
