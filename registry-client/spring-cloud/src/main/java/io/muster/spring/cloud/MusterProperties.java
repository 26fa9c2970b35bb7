package io.muster.spring.cloud;

import io.muster.api.HostPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code muster.*} properties: where the registry is, how this application registers itself,
 * and how its load balancer picks instances. Each setter checks its value, so a bad value stops the
 * application at start with the property named and the allowed range ({@code
 * muster.registration.weight: 0 (expected: 1-10000)}).
 *
 * <pre>{@code
 * muster.targets=10.0.0.1:9001,10.0.0.2:9001,10.0.0.3:9001
 * muster.registration.zone=eu-1a
 * muster.registration.weight=200
 * }</pre>
 */
@ConfigurationProperties(MusterProperties.PREFIX)
public class MusterProperties {

    public static final String PREFIX = "muster";

    /** Whether the Muster integration is on at all (client, discovery, registration, load balancing). */
    private boolean enabled = true;

    /** The gRPC addresses (host:port) of the registry members; any subset of them works. */
    private List<String> targets = new ArrayList<>();

    /** Deadline of one call to a member; a call is retried on the next member within four times this. */
    private Duration deadline = Duration.ofSeconds(5);

    /**
     * Where service views keep a copy of the last known instances, served (marked stale) when the
     * registry cannot be reached at start. Default: none.
     */
    private Path snapshotDir;

    private final Discovery discovery = new Discovery();
    private final Registration registration = new Registration();
    private final LoadBalancer loadbalancer = new LoadBalancer();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public List<String> getTargets() {
        return targets;
    }

    public void setTargets(List<String> targets) {
        List<String> cleaned = new ArrayList<>();
        for (String t : targets) {
            for (String part : t.split(",")) {
                if (!part.isBlank()) {
                    HostPorts.parse("muster.targets", part.trim());
                    cleaned.add(part.trim());
                }
            }
        }
        this.targets = cleaned;
    }

    public Duration getDeadline() {
        return deadline;
    }

    public void setDeadline(Duration deadline) {
        this.deadline = Checks.between("muster.deadline", deadline, Duration.ofMillis(100), Duration.ofMinutes(10));
    }

    public Path getSnapshotDir() {
        return snapshotDir;
    }

    public void setSnapshotDir(Path snapshotDir) {
        this.snapshotDir = snapshotDir;
    }

    public Discovery getDiscovery() {
        return discovery;
    }

    public Registration getRegistration() {
        return registration;
    }

    public LoadBalancer getLoadbalancer() {
        return loadbalancer;
    }

    /** {@code muster.discovery.*}. */
    public static class Discovery {
        /** Whether to provide a DiscoveryClient and a ReactiveDiscoveryClient backed by the registry's watches. */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** {@code muster.registration.*}: the running application as an instance of the registry. */
    public static class Registration {
        /** Whether to register the running web application when its server has started (and deregister it on shutdown). */
        private boolean enabled = true;

        /** The service to register as. Default: spring.application.name, in lower case. */
        private String service;

        /** The instance id, [A-Za-z0-9._:-]{1,128}. Default: host:port. */
        private String instanceId;

        /** The address others reach this instance at. Default: the first non-loopback address (spring.cloud.inetutils.*). */
        private String host;

        /** The port others reach this instance at, 1-65535. Default: the web server's port. */
        private int port;

        /** Whether clients should call this instance over https (also the scheme of its health check). */
        private boolean secure;

        /** Tags of the instance (at most 32, each 1-64 characters without whitespace). */
        private List<String> tags = new ArrayList<>();

        /** Metadata of the instance (at most 64 entries). */
        private Map<String, String> metadata = new LinkedHashMap<>();

        /** The zone (locality) of the instance, up to 64 characters; load balancers of the same zone prefer it. */
        private String zone = "";

        /** Load-balancing weight, 1-10000. */
        private int weight = 100;

        /** Time to live of the instance's lease (kept alive every third of it), 1s-1h. */
        private Duration leaseTtl = Duration.ofSeconds(10);

        private final HealthCheck healthCheck = new HealthCheck();

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getService() {
            return service;
        }

        public void setService(String service) {
            this.service = service;
        }

        public String getInstanceId() {
            return instanceId;
        }

        public void setInstanceId(String instanceId) {
            this.instanceId = instanceId;
        }

        public String getHost() {
            return host;
        }

        public void setHost(String host) {
            this.host = host;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = Checks.between("muster.registration.port", port, 0, 65535);
        }

        public boolean isSecure() {
            return secure;
        }

        public void setSecure(boolean secure) {
            this.secure = secure;
        }

        public List<String> getTags() {
            return tags;
        }

        public void setTags(List<String> tags) {
            this.tags = new ArrayList<>(Objects.requireNonNull(tags, "muster.registration.tags"));
        }

        public Map<String, String> getMetadata() {
            return metadata;
        }

        public void setMetadata(Map<String, String> metadata) {
            this.metadata = new LinkedHashMap<>(Objects.requireNonNull(metadata, "muster.registration.metadata"));
        }

        public String getZone() {
            return zone;
        }

        public void setZone(String zone) {
            if (zone != null && zone.length() > 64) {
                throw new IllegalArgumentException("muster.registration.zone: " + zone.length() + " characters (expected: at most 64)");
            }
            this.zone = zone == null ? "" : zone;
        }

        public int getWeight() {
            return weight;
        }

        public void setWeight(int weight) {
            this.weight = Checks.between("muster.registration.weight", weight, 1, 10_000);
        }

        public Duration getLeaseTtl() {
            return leaseTtl;
        }

        public void setLeaseTtl(Duration leaseTtl) {
            this.leaseTtl = Checks.between("muster.registration.lease-ttl", leaseTtl, Duration.ofSeconds(1), Duration.ofHours(1));
        }

        public HealthCheck getHealthCheck() {
            return healthCheck;
        }
    }

    /** {@code muster.registration.health-check.*}: the registry's HTTP check of the actuator health endpoint. */
    public static class HealthCheck {
        /** Whether the registry probes the instance over HTTP (otherwise it is healthy while its lease lives). */
        private boolean enabled = true;

        /** The path probed. Default: the actuator's health endpoint (management base path + /health). */
        private String path;

        /** The port probed, 0-65535. Default (0): the management port if it differs, else the instance's port. */
        private int port;

        /** Probe period, 100ms-1h. */
        private Duration interval = Duration.ofSeconds(5);

        /** Probe timeout, 50ms-60s and not above the interval. */
        private Duration timeout = Duration.ofSeconds(2);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            if (path != null && !path.isEmpty() && !path.startsWith("/")) {
                throw new IllegalArgumentException("muster.registration.health-check.path: " + path + " (expected: a path starting with /)");
            }
            this.path = path;
        }

        public int getPort() {
            return port;
        }

        public void setPort(int port) {
            this.port = Checks.between("muster.registration.health-check.port", port, 0, 65535);
        }

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = Checks.between("muster.registration.health-check.interval", interval, Duration.ofMillis(100), Duration.ofHours(1));
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = Checks.between("muster.registration.health-check.timeout", timeout, Duration.ofMillis(50), Duration.ofSeconds(60));
        }
    }

    /** {@code muster.loadbalancer.*}: Spring Cloud LoadBalancer's instance lists. */
    public static class LoadBalancer {
        /** Whether @LoadBalanced clients get their instances from the registry (routable, zone first, by weight). */
        private boolean enabled = true;

        /** The zone whose instances are preferred while any of them is routable. Default: muster.registration.zone. */
        private String zone;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getZone() {
            return zone;
        }

        public void setZone(String zone) {
            this.zone = zone;
        }
    }

    /** The zone this application's load balancers prefer: muster.loadbalancer.zone, else its own registration zone. */
    String preferredZone() {
        String z = loadbalancer.getZone();
        return z != null ? z : registration.getZone();
    }
}
