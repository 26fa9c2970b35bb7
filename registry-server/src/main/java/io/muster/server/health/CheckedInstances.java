package io.muster.server.health;

import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.InstanceKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which catalog events concern health checking, decided on the apply thread so that the others
 * never reach the health pool.
 *
 * <p>An event matters when its instance has checks, or when it ends the checks of an instance that
 * had some (re-registered without checks, deregistered, expired). This class remembers the keys of
 * the instances whose last event carried checks, from the event stream alone, so its answer does
 * not depend on how far the health pool has got.
 *
 * <p>Not thread-safe: used only by catalog listener calls, which the catalog serializes under its
 * write lock.
 */
final class CheckedInstances {

    private final Set<InstanceKey> withChecks = new HashSet<>();

    /** The events of {@code events} that the health checker must see, in order (the same list if all). */
    List<Event> relevant(List<Event> events) {
        List<Event> out = null;
        for (int n = 0; n < events.size(); n++) {
            Event e = events.get(n);
            boolean relevant = relevant(e);
            if (relevant && out != null) {
                out.add(e);
            } else if (!relevant && out == null) {
                out = new ArrayList<>(events.subList(0, n));
            }
        }
        return out == null ? events : out;
    }

    private boolean relevant(Event e) {
        Instance i = e.getInstance();
        boolean gone = e.getType() == EventType.DEREGISTERED || e.getType() == EventType.EXPIRED;
        if (i.getChecksCount() > 0) {
            if (gone) {
                withChecks.remove(InstanceKey.of(i));
            } else {
                withChecks.add(InstanceKey.of(i));
            }
            return true;
        }
        // no checks (any more): matters only if the previous state of the instance had some
        return !withChecks.isEmpty() && withChecks.remove(InstanceKey.of(i));
    }

    /** The catalog was replaced: these are now all its instances. */
    void reset(Collection<Instance> instances) {
        withChecks.clear();
        for (Instance i : instances) {
            if (i.getChecksCount() > 0) {
                withChecks.add(InstanceKey.of(i));
            }
        }
    }

    int size() {
        return withChecks.size();
    }
}
