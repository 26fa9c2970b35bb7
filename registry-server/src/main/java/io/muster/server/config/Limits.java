package io.muster.server.config;

/**
 * What one member accepts from its clients, each limit named in the error a client gets when it is
 * over it ({@code RESOURCE_EXHAUSTED: <limit>: <value> (limit <n>)}). Over a limit, the member keeps
 * serving everyone else. Defaults are the constants below; flags and YAML keys have the same names
 * (e.g. {@code --max-watchers-per-connection}, {@code max-watchers-per-connection}).
 *
 * @param maxMessageBytes                 largest inbound gRPC message
 * @param maxInstanceBytes                largest serialized instance (tags, metadata and checks included)
 * @param maxInstancesPerService          instances one service may hold
 * @param maxInstances                    instances the whole catalog may hold
 * @param maxWatchers                     watch streams this member serves
 * @param maxWatchersPerConnection        watch streams on one client connection
 * @param maxKeepAliveStreamsPerConnection keep-alive streams on one client connection
 * @param maxConcurrentCallsPerConnection concurrent calls (HTTP/2 streams) on one connection
 * @param maxWatchServices                services named in one Watch request
 * @param permitKeepAliveTimeMs           the most frequent client keep-alive ping allowed
 * @param maxConnectionIdleMs             a connection with no call for this long is closed (0: never)
 */
public record Limits(int maxMessageBytes, int maxInstanceBytes, int maxInstancesPerService, int maxInstances,
                     int maxWatchers, int maxWatchersPerConnection, int maxKeepAliveStreamsPerConnection,
                     int maxConcurrentCallsPerConnection, int maxWatchServices, long permitKeepAliveTimeMs,
                     long maxConnectionIdleMs) {

    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    /** The catalog's own cap ({@code catalog.Rules}): a member may lower it, never raise it. */
    public static final int DEFAULT_MAX_INSTANCE_BYTES = io.muster.server.catalog.Rules.MAX_INSTANCE_BYTES;
    public static final int DEFAULT_MAX_INSTANCES_PER_SERVICE = 100_000;
    public static final int DEFAULT_MAX_INSTANCES = 2_000_000;
    public static final int DEFAULT_MAX_WATCHERS = 100_000;
    public static final int DEFAULT_MAX_WATCHERS_PER_CONNECTION = 1_000;
    public static final int DEFAULT_MAX_KEEP_ALIVE_STREAMS_PER_CONNECTION = 1_000;
    public static final int DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION = 4_096;
    public static final int DEFAULT_MAX_WATCH_SERVICES = 1_000;
    public static final long DEFAULT_PERMIT_KEEP_ALIVE_TIME_MS = 5_000;
    public static final long DEFAULT_MAX_CONNECTION_IDLE_MS = 30 * 60_000;

    public static final Limits DEFAULTS = new Limits(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_INSTANCE_BYTES,
            DEFAULT_MAX_INSTANCES_PER_SERVICE, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_WATCHERS,
            DEFAULT_MAX_WATCHERS_PER_CONNECTION, DEFAULT_MAX_KEEP_ALIVE_STREAMS_PER_CONNECTION,
            DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION, DEFAULT_MAX_WATCH_SERVICES,
            DEFAULT_PERMIT_KEEP_ALIVE_TIME_MS, DEFAULT_MAX_CONNECTION_IDLE_MS);

    public Limits {
        NodeConfig.range("max-message-bytes", maxMessageBytes, 64 * 1024, 256 * 1024 * 1024);
        NodeConfig.range("max-instance-bytes", maxInstanceBytes, 1024, DEFAULT_MAX_INSTANCE_BYTES);
        NodeConfig.range("max-instances-per-service", maxInstancesPerService, 1, 10_000_000);
        NodeConfig.range("max-instances", maxInstances, 1, 100_000_000);
        NodeConfig.range("max-watchers", maxWatchers, 1, 1_000_000);
        NodeConfig.range("max-watchers-per-connection", maxWatchersPerConnection, 1, 1_000_000);
        NodeConfig.range("max-keep-alive-streams-per-connection", maxKeepAliveStreamsPerConnection, 1, 1_000_000);
        NodeConfig.range("max-concurrent-calls-per-connection", maxConcurrentCallsPerConnection, 1, 1_000_000);
        NodeConfig.range("max-watch-services", maxWatchServices, 1, 1_000_000);
        NodeConfig.range("permit-keep-alive-time-ms", permitKeepAliveTimeMs, 0, 3_600_000);
        NodeConfig.range("max-connection-idle-ms", maxConnectionIdleMs, 0, 86_400_000);
        if (maxInstanceBytes > maxMessageBytes) {
            throw new IllegalArgumentException("max-instance-bytes: " + maxInstanceBytes
                    + " (expected: at most max-message-bytes, " + maxMessageBytes + ")");
        }
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Starts from the defaults. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** Mutable form; {@link #build} validates. */
    public static final class Builder {
        private int maxMessageBytes;
        private int maxInstanceBytes;
        private int maxInstancesPerService;
        private int maxInstances;
        private int maxWatchers;
        private int maxWatchersPerConnection;
        private int maxKeepAliveStreamsPerConnection;
        private int maxConcurrentCallsPerConnection;
        private int maxWatchServices;
        private long permitKeepAliveTimeMs;
        private long maxConnectionIdleMs;

        private Builder(Limits l) {
            maxMessageBytes = l.maxMessageBytes;
            maxInstanceBytes = l.maxInstanceBytes;
            maxInstancesPerService = l.maxInstancesPerService;
            maxInstances = l.maxInstances;
            maxWatchers = l.maxWatchers;
            maxWatchersPerConnection = l.maxWatchersPerConnection;
            maxKeepAliveStreamsPerConnection = l.maxKeepAliveStreamsPerConnection;
            maxConcurrentCallsPerConnection = l.maxConcurrentCallsPerConnection;
            maxWatchServices = l.maxWatchServices;
            permitKeepAliveTimeMs = l.permitKeepAliveTimeMs;
            maxConnectionIdleMs = l.maxConnectionIdleMs;
        }

        public Builder maxMessageBytes(int value) {
            maxMessageBytes = value;
            return this;
        }

        public Builder maxInstanceBytes(int value) {
            maxInstanceBytes = value;
            return this;
        }

        public Builder maxInstancesPerService(int value) {
            maxInstancesPerService = value;
            return this;
        }

        public Builder maxInstances(int value) {
            maxInstances = value;
            return this;
        }

        public Builder maxWatchers(int value) {
            maxWatchers = value;
            return this;
        }

        public Builder maxWatchersPerConnection(int value) {
            maxWatchersPerConnection = value;
            return this;
        }

        public Builder maxKeepAliveStreamsPerConnection(int value) {
            maxKeepAliveStreamsPerConnection = value;
            return this;
        }

        public Builder maxConcurrentCallsPerConnection(int value) {
            maxConcurrentCallsPerConnection = value;
            return this;
        }

        public Builder maxWatchServices(int value) {
            maxWatchServices = value;
            return this;
        }

        public Builder permitKeepAliveTimeMs(long value) {
            permitKeepAliveTimeMs = value;
            return this;
        }

        public Builder maxConnectionIdleMs(long value) {
            maxConnectionIdleMs = value;
            return this;
        }

        public Limits build() {
            return new Limits(maxMessageBytes, maxInstanceBytes, maxInstancesPerService, maxInstances, maxWatchers, maxWatchersPerConnection, maxKeepAliveStreamsPerConnection, maxConcurrentCallsPerConnection, maxWatchServices, permitKeepAliveTimeMs, maxConnectionIdleMs);
        }
    }
}
