package io.muster.spring.cloud;

import io.muster.api.Routing;
import io.muster.api.v1.Instance;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Which instances a load balancer gets, and how often each: pure functions, no state.
 *
 * <ol>
 *   <li>Health: only routable instances ({@link Routing}: HEALTHY or WARNING).</li>
 *   <li>Zone: with a preferred zone, the routable instances of that zone while there is one; all of
 *       them when that zone has none (a zone outage spills over instead of failing).</li>
 *   <li>Weight: a schedule in which each instance appears in proportion to its weight, interleaved
 *       (nginx's smooth weighted round robin), so that Spring Cloud LoadBalancer's round robin (one
 *       step per call) and random choice both send each instance its share.</li>
 * </ol>
 */
final class InstanceSelection {

    /**
     * Longest weighted schedule. Weights are reduced by their greatest common divisor first; beyond
     * this length they are scaled down (each keeps at least one slot), so that weights of 1 and
     * 10000 do not make a 10001-entry list on every change.
     */
    static final int MAX_SCHEDULE = 1000;

    private InstanceSelection() {
    }

    /** Steps 1 and 2: routable, preferring {@code zone} (null or empty: no preference). */
    static List<Instance> routable(List<Instance> instances, String zone) {
        List<Instance> routable = instances.stream().filter(Routing::isRoutable).toList();
        if (zone == null || zone.isEmpty()) {
            return routable;
        }
        List<Instance> local = routable.stream().filter(i -> zone.equals(i.getZone())).toList();
        return local.isEmpty() ? routable : local;
    }

    /** Step 3: each item {@code weight(item)} times (reduced, capped), interleaved smoothly. */
    static <T> List<T> weighted(List<T> items, ToIntFunction<T> weight) {
        int n = items.size();
        if (n <= 1) {
            return List.copyOf(items);
        }
        int[] w = new int[n];
        int gcd = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.max(1, weight.applyAsInt(items.get(i)));
            gcd = BigInteger.valueOf(gcd).gcd(BigInteger.valueOf(w[i])).intValue();
        }
        for (int i = 0; i < n; i++) {
            w[i] /= gcd;
            total += w[i];
        }
        if (total == n) {
            return List.copyOf(items); // equal weights: the list itself is the schedule
        }
        if (total > MAX_SCHEDULE) {
            long scaled = 0;
            for (int i = 0; i < n; i++) {
                w[i] = (int) Math.max(1, w[i] * (long) MAX_SCHEDULE / total);
                scaled += w[i];
            }
            total = scaled;
        }
        // nginx: every step each item gains its weight, the richest is picked and pays the total
        long[] current = new long[n];
        List<T> schedule = new ArrayList<>((int) total);
        for (long step = 0; step < total; step++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += w[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            schedule.add(items.get(best));
        }
        return List.copyOf(schedule);
    }
}
