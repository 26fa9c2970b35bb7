package io.muster.server.health;

import java.util.concurrent.CompletionStage;

/**
 * A health check kind provided by a jar on the servers' class path, used by instances that register
 * a {@code CustomCheck} whose {@code type} equals {@link #type()}. Plugins are found with
 * {@link java.util.ServiceLoader}: list the implementation class in
 * {@code META-INF/services/io.muster.server.health.HealthCheckPlugin}.
 *
 * <p>{@link #probe} is called on a health-check thread and must not block: start the work and
 * return a stage that completes later. A stage that has not completed after
 * {@link ProbeTarget#timeout()} counts as a failure ("timeout after ..."); a stage that completes
 * exceptionally counts as a failure with the exception's message. Thresholds (rise / fall),
 * scheduling and reporting are done by the registry.
 *
 * <pre>{@code
 * public final class RedisPingCheck implements HealthCheckPlugin {
 *     public String type() { return "redis-ping"; }
 *     public CompletionStage<ProbeResult> probe(ProbeTarget t) {
 *         return client.ping(t.host(), t.port(), t.timeout())
 *                 .thenApply(pong -> ProbeResult.pass("PONG"));
 *     }
 * }
 * }</pre>
 */
public interface HealthCheckPlugin {

    /** The {@code CustomCheck.type} this plugin serves: 1-64 chars of [A-Za-z0-9._-]. */
    String type();

    /** Starts one probe of {@code target}. */
    CompletionStage<ProbeResult> probe(ProbeTarget target);

    /** Called once when the registry node stops. */
    default void close() {
    }
}
