package io.muster.server.health;

import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import java.util.SortedSet;

/**
 * How the checks this member owns are probed: opening a {@link Probe} per probed check and running
 * it on a schedule. Implemented by {@code health.probe.Probers} (HTTP, TCP, gRPC and plug-in
 * probes) and wired in by the composition root, so this package needs nothing of the probe package.
 *
 * <p>Threading: every method may be called from any thread.
 */
public interface Probing extends AutoCloseable {

    /** A probe's schedule. */
    interface Schedule {
        /** Stops the runs (one that is starting at this moment may still run). */
        void cancel();
    }

    /**
     * Opens the probe of a non-TTL check of {@code instance}. Its runs complete by the check's
     * timeout at the latest ("timeout after ...").
     */
    Probe open(Instance instance, HealthCheck check);

    /**
     * Runs {@code task} (which starts {@code probe}) after {@code firstDelayNanos}, then every
     * {@code periodNanos}: on the probe's event loop if it has one, else on the health pool.
     */
    Schedule scheduleAtFixedRate(Probe probe, Runnable task, long firstDelayNanos, long periodNanos);

    /** Types of the custom-check plug-ins this member has, sorted. */
    SortedSet<String> pluginTypes();

    /** Releases what the probes share (connections, channels) and closes the plug-ins. */
    @Override
    void close();
}
