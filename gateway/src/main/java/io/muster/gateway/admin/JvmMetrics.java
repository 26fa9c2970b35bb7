package io.muster.gateway.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * Micrometer's JVM, GC and process meters ({@code jvm_*}, {@code process_*}, {@code system_*}) on the
 * gateway's own registry (never a global one). {@link #close} removes the GC binder's notification
 * listeners, so a closed gateway is not kept reachable by the platform MBeans.
 */
public final class JvmMetrics implements AutoCloseable {

  private final JvmGcMetrics gc = new JvmGcMetrics();

  private JvmMetrics() {
  }

  /** Binds every binder to {@code registry}. */
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
