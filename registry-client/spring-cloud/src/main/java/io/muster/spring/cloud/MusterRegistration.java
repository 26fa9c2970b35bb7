package io.muster.spring.cloud;

import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.serviceregistry.Registration;

/**
 * The running application as an instance of the registry, from the {@code muster.registration.*}
 * properties. The port is known only once the web server has started: {@link
 * MusterAutoServiceRegistration} sets it then, before it registers.
 *
 * @param healthCheckPath the path the registry's HTTP check probes (the actuator's health endpoint
 *                        by default), null for no check
 * @param healthCheckPort the port of that check, 0 for the instance's port
 */
public final class MusterRegistration implements Registration {

    private final MusterProperties.Registration props;
    private final String serviceId;
    private final String host;
    private final String healthCheckPath;
    private final int healthCheckPort;
    private volatile int port;

    public MusterRegistration(MusterProperties.Registration props, String serviceId, String host,
                              String healthCheckPath, int healthCheckPort) {
        this.props = Objects.requireNonNull(props, "props");
        this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
        this.host = Objects.requireNonNull(host, "host");
        this.healthCheckPath = healthCheckPath;
        this.healthCheckPort = healthCheckPort;
        this.port = props.getPort();
    }

    /** Sets the port if none was configured ({@code muster.registration.port}). */
    void portIfUnset(int webServerPort) {
        if (port == 0) {
            port = webServerPort;
        }
    }

    @Override
    public String getInstanceId() {
        String id = props.getInstanceId();
        return id == null || id.isBlank() ? host + ":" + port : id;
    }

    @Override
    public String getServiceId() {
        return serviceId;
    }

    @Override
    public String getHost() {
        return host;
    }

    @Override
    public int getPort() {
        return port;
    }

    @Override
    public boolean isSecure() {
        return props.isSecure();
    }

    @Override
    public URI getUri() {
        return ServiceInstance.createUri(this);
    }

    @Override
    public Map<String, String> getMetadata() {
        Map<String, String> m = new LinkedHashMap<>(props.getMetadata());
        if (props.isSecure()) {
            m.put(MusterServiceInstance.SECURE_KEY, "true");
        }
        return Map.copyOf(m);
    }

    public String healthCheckPath() {
        return healthCheckPath;
    }

    /** What is sent to the registry. */
    public Instance toInstance() {
        if (port == 0) {
            throw new IllegalStateException("muster.registration.port: unknown (not set, and no web server has started)");
        }
        Instance.Builder b = Instance.newBuilder()
                .setService(serviceId)
                .setId(getInstanceId())
                .setHost(host)
                .setPort(port)
                .addAllTags(List.copyOf(props.getTags()))
                .putAllMetadata(getMetadata())
                .setWeight(props.getWeight())
                .setZone(props.getZone())
                .setLeaseTtlMs(props.getLeaseTtl().toMillis());
        if (healthCheckPath != null) {
            MusterProperties.HealthCheck hc = props.getHealthCheck();
            b.addChecks(HealthCheck.newBuilder()
                    .setName("actuator-health")
                    .setHttp(HttpCheck.newBuilder().setPath(healthCheckPath).setPort(healthCheckPort)
                            .setScheme(props.isSecure() ? "https" : "http"))
                    .setIntervalMs((int) hc.getInterval().toMillis())
                    .setTimeoutMs((int) hc.getTimeout().toMillis()));
        }
        return b.build();
    }

    @Override
    public String toString() {
        return serviceId + "/" + getInstanceId() + "@" + host + ":" + port;
    }
}
