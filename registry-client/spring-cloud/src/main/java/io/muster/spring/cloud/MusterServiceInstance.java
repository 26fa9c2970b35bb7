package io.muster.spring.cloud;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;

/**
 * A registry instance as Spring Cloud sees it. Its metadata is the instance's metadata plus
 * {@code zone} and {@code weight} (the keys Spring Cloud LoadBalancer's own zone and weight suppliers
 * read; the instance's fields win over metadata entries of those names). {@link #isSecure()} is the
 * metadata entry {@code secure=true}, which {@code muster.registration.secure} sets.
 */
public final class MusterServiceInstance implements ServiceInstance {

    public static final String ZONE_KEY = "zone";
    public static final String WEIGHT_KEY = "weight";
    public static final String SECURE_KEY = "secure";

    private final Instance instance;
    private final Map<String, String> metadata;

    public MusterServiceInstance(Instance instance) {
        this.instance = Objects.requireNonNull(instance, "instance");
        Map<String, String> m = new LinkedHashMap<>(instance.getMetadataMap());
        if (!instance.getZone().isEmpty()) {
            m.put(ZONE_KEY, instance.getZone());
        }
        m.put(WEIGHT_KEY, Integer.toString(weight()));
        this.metadata = Map.copyOf(m);
    }

    /** The registry's record of the instance (health, reason, revisions, checks). */
    public Instance instance() {
        return instance;
    }

    @Override
    public String getInstanceId() {
        return instance.getId();
    }

    @Override
    public String getServiceId() {
        return instance.getService();
    }

    @Override
    public String getHost() {
        return instance.getHost();
    }

    @Override
    public int getPort() {
        return instance.getPort();
    }

    @Override
    public boolean isSecure() {
        return "true".equalsIgnoreCase(instance.getMetadataMap().get(SECURE_KEY));
    }

    @Override
    public URI getUri() {
        return ServiceInstance.createUri(this);
    }

    @Override
    public Map<String, String> getMetadata() {
        return metadata;
    }

    public String zone() {
        return instance.getZone();
    }

    /** The load-balancing weight (the registry's default, 100, when the instance registered none). */
    public int weight() {
        return instance.getWeight() == 0 ? 100 : instance.getWeight();
    }

    public List<String> tags() {
        return instance.getTagsList();
    }

    public HealthStatus health() {
        return instance.getHealth();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MusterServiceInstance other && instance.equals(other.instance);
    }

    @Override
    public int hashCode() {
        return instance.hashCode();
    }

    @Override
    public String toString() {
        return instance.getService() + "/" + instance.getId() + "@" + instance.getHost() + ":" + instance.getPort() + " " + instance.getHealth();
    }
}
