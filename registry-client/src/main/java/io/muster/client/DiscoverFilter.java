package io.muster.client;

import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import java.util.List;
import java.util.Map;

/**
 * Which instances {@link RegistryClient#discover} returns.
 *
 * @param healthyOnly only routable instances (HEALTHY or WARNING)
 * @param tags        instances must carry all of these
 * @param zone        only this zone; empty for any
 * @param metadata    instances whose metadata contains all these entries
 * @param local       read this member's applied state instead of a linearizable read
 */
public record DiscoverFilter(boolean healthyOnly, List<String> tags, String zone, Map<String, String> metadata, boolean local) {

    public DiscoverFilter {
        tags = List.copyOf(tags);
        zone = zone == null ? "" : zone;
        metadata = Map.copyOf(metadata);
    }

    /** Every instance, linearizable. */
    public static DiscoverFilter all() {
        return new DiscoverFilter(false, List.of(), "", Map.of(), false);
    }

    /** Routable instances only, linearizable. */
    public static DiscoverFilter healthy() {
        return new DiscoverFilter(true, List.of(), "", Map.of(), false);
    }

    public DiscoverFilter withTags(String... t) {
        return new DiscoverFilter(healthyOnly, List.of(t), zone, metadata, local);
    }

    public DiscoverFilter inZone(String z) {
        return new DiscoverFilter(healthyOnly, tags, z, metadata, local);
    }

    public DiscoverFilter withMetadata(String key, String value) {
        Map<String, String> m = new java.util.HashMap<>(metadata);
        m.put(key, value);
        return new DiscoverFilter(healthyOnly, tags, zone, m, local);
    }

    public DiscoverFilter localRead() {
        return new DiscoverFilter(healthyOnly, tags, zone, metadata, true);
    }

    DiscoverRequest toRequest(String service) {
        return DiscoverRequest.newBuilder()
                .setService(service)
                .setHealthyOnly(healthyOnly)
                .addAllTags(tags)
                .setZone(zone)
                .putAllMetadata(metadata)
                .setConsistency(local ? Consistency.LOCAL : Consistency.LINEARIZABLE)
                .build();
    }
}
