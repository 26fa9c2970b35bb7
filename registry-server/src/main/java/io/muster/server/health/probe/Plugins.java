package io.muster.server.health.probe;

import io.muster.server.health.Failures;
import io.muster.server.health.HealthCheckPlugin;
import io.muster.server.health.Probe;
import io.muster.server.health.ProbeResult;
import io.muster.server.health.ProbeTarget;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link HealthCheckPlugin}s found by {@link ServiceLoader}, by type. */
public final class Plugins implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Plugins.class);

    private final Map<String, HealthCheckPlugin> byType;
    private final SortedSet<String> types;

    private Plugins(Map<String, HealthCheckPlugin> byType) {
        this.byType = Map.copyOf(byType);
        this.types = Collections.unmodifiableSortedSet(new TreeSet<>(byType.keySet()));
    }

    /** Exactly these plugins (an embedding server's own, or a test's), by their types. */
    public static Plugins of(HealthCheckPlugin... plugins) {
        Map<String, HealthCheckPlugin> byType = new LinkedHashMap<>();
        for (HealthCheckPlugin p : plugins) {
            if (byType.putIfAbsent(p.type(), p) != null) {
                throw new IllegalArgumentException("plugins: two serve type '" + p.type() + "'");
            }
        }
        return new Plugins(byType);
    }

    /** The plug-ins listed in {@code META-INF/services/io.muster.server.health.HealthCheckPlugin} files of {@code loader}. */
    public static Plugins load(ClassLoader loader) {
        Map<String, HealthCheckPlugin> found = new LinkedHashMap<>();
        ServiceLoader<HealthCheckPlugin> sl = ServiceLoader.load(HealthCheckPlugin.class, loader);
        for (var it = sl.stream().iterator(); it.hasNext(); ) {
            ServiceLoader.Provider<HealthCheckPlugin> provider = it.next();
            try {
                HealthCheckPlugin p = provider.get();
                HealthCheckPlugin before = found.putIfAbsent(p.type(), p);
                if (before != null) {
                    log.warn("health check plugin {} ignored: type '{}' is already served by {}",
                            p.getClass().getName(), p.type(), before.getClass().getName());
                } else {
                    log.info("health check plugin '{}' loaded: {}", p.type(), p.getClass().getName());
                }
            } catch (ServiceConfigurationError | RuntimeException e) {
                log.warn("health check plugin {} could not be loaded", provider.type().getName(), e);
            }
        }
        return new Plugins(found);
    }

    /** The types served, sorted. */
    SortedSet<String> types() {
        return types;
    }

    Probe open(ProbeTarget target, String type) {
        HealthCheckPlugin plugin = byType.get(type);
        if (plugin == null) {
            ProbeResult unknown = ProbeResult.fail("no health check plugin of type '" + type + "' on this member");
            return () -> CompletableFuture.completedFuture(unknown);
        }
        return () -> {
            try {
                return plugin.probe(target).toCompletableFuture()
                        .handle((r, e) -> e != null ? ProbeResult.fail(type + " failed: " + Failures.describe(Failures.unwrap(e)))
                                : r != null ? r : ProbeResult.fail(type + " returned no result"));
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(ProbeResult.fail(type + " failed: " + Failures.describe(e)));
            }
        };
    }

    @Override
    public void close() {
        for (HealthCheckPlugin p : byType.values()) {
            try {
                p.close();
            } catch (RuntimeException e) {
                log.warn("health check plugin '{}' failed to close", p.type(), e);
            }
        }
    }
}
