package io.muster.server.catalog;

import io.muster.api.v1.Instance;
import java.util.Objects;

/** Identity of an instance within the catalog: service name plus instance id. */
public record InstanceKey(String service, String id) {
    public InstanceKey {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(id, "id");
    }

    public static InstanceKey of(Instance instance) {
        return new InstanceKey(instance.getService(), instance.getId());
    }

    @Override
    public String toString() {
        return service + "/" + id;
    }
}
