package io.muster.server.health;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link HealthCheckPlugin} probes: the instance's address, the check's configuration and
 * the time the probe may take.
 *
 * @param service    service name of the instance
 * @param instanceId id of the instance
 * @param host       the instance's host (IP address or DNS name)
 * @param port       the instance's port
 * @param config     {@code CustomCheck.config}
 * @param timeout    the probe fails with "timeout after ..." if it has not completed by then
 */
public record ProbeTarget(String service, String instanceId, String host, int port, Map<String, String> config,
                          Duration timeout) {
    public ProbeTarget {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeout, "timeout");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        config = Map.copyOf(config);
    }
}
