package io.muster.server.health;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test {@link HealthCheckPlugin} (type {@code switch}), registered through META-INF/services:
 * reports whatever the test set for the switch named by the check's {@code config["switch"]}.
 */
public final class SwitchCheckPlugin implements HealthCheckPlugin {

    static final Map<String, ProbeResult> SWITCHES = new ConcurrentHashMap<>();

    @Override
    public String type() {
        return "switch";
    }

    @Override
    public CompletionStage<ProbeResult> probe(ProbeTarget target) {
        String name = target.config().getOrDefault("switch", "");
        return CompletableFuture.completedFuture(SWITCHES.getOrDefault(name, ProbeResult.fail("switch '" + name + "' not set")));
    }
}
