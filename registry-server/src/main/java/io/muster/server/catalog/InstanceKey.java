package io.muster.server.catalog;

import io.muster.api.v1.Instance;
import java.util.Objects;

/**
 * Identity of an instance within the catalog: namespace, service name and instance id. An
 * instance without a namespace (written before namespaces) is in {@link Namespaces#DEFAULT}.
 */
public record InstanceKey(String namespace, String service, String id) {
    public InstanceKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(id, "id");
        namespace = Namespaces.of(namespace);
    }

    public static InstanceKey of(Instance instance) {
        return new InstanceKey(instance.getNamespace(), instance.getService(), instance.getId());
    }

    /**
     * {@code service/id} in the default namespace (as before namespaces: health-check ownership
     * hashes this string, so members agree with ones that predate namespaces), else
     * {@code namespace/service/id}.
     */
    @Override
    public String toString() {
        return namespace.equals(Namespaces.DEFAULT) ? service + "/" + id : namespace + "/" + service + "/" + id;
    }
}
