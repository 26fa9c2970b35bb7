package io.muster.server.catalog;

import io.muster.api.v1.Instance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The strings many stored instances repeat, one object each: service names, tags, metadata keys and
 * values, health reasons, namespaces. Each parsed instance (from a request, a log entry or a snapshot) carries
 * its own copies, so a million instances in ten thousand services held a million copies of each
 * (48 bytes and more per string; docs/benchmarks.md, "Scale: a million instances"). Ids and hosts
 * differ per instance and are left alone.
 *
 * <p>{@link String#intern()} is the table: the JVM's, safe from any thread, and its entries go
 * once no instance refers to them, so a service that is gone costs nothing. Sharing changes no
 * value, so apply stays deterministic.
 */
final class SharedStrings {

    private SharedStrings() {
    }

    /** {@code b} with its repeated strings replaced by the shared ones. */
    static Instance.Builder share(Instance.Builder b) {
        b.setNamespace(b.getNamespace().intern());
        b.setService(b.getService().intern());
        b.setHealthReason(b.getHealthReason().intern());
        if (b.getTagsCount() > 0) {
            List<String> tags = new ArrayList<>(b.getTagsCount());
            for (String t : b.getTagsList()) {
                tags.add(t.intern());
            }
            b.clearTags().addAllTags(tags);
        }
        if (b.getMetadataCount() > 0) {
            Map<String, String> metadata = new LinkedHashMap<>(b.getMetadataMap());
            b.clearMetadata();
            metadata.forEach((k, v) -> b.putMetadata(k.intern(), v.intern()));
        }
        return b;
    }

    static Instance share(Instance in) {
        return share(in.toBuilder()).build();
    }
}
