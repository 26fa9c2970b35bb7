package io.muster.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * Micrometer's JVM, GC and process meters ({@code jvm_*}, {@code process_*}, {@code system_*}) bound
 * to one member's registry, never to a global one, so several members in one JVM (tests) each carry
 * their own. The GC binder listens to the JVM's GC notifications: {@link #close} removes those
 * listeners, or a stopped member would stay reachable from the platform MBeans.
 */
public final class JvmMetrics implements AutoCloseable {

    private final JvmGcMetrics gc = new JvmGcMetrics();

    private JvmMetrics() {
    }

    /** Binds every binder to {@code registry}; bind after the registry's common tags are set. */
    public static JvmMetrics bind(MeterRegistry registry) {
        JvmMetrics m = new JvmMetrics();
        new JvmMemoryMetrics().bindTo(registry);
        m.gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return m;
    }

    @Override
    public void close() {
        gc.close();
    }
}
