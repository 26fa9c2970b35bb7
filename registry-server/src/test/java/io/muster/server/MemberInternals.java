package io.muster.server;

import io.muster.server.health.HealthChecker;

/**
 * The test-side door to a member's components that neither the gRPC API nor the meters show: which
 * member runs which health check. It lives with the tests, in the member's package, so main code
 * cannot reach a member's components; tests that need no more than the API or a gauge use those.
 */
public final class MemberInternals {

    private MemberInternals() {
    }

    /** Which checks {@code node} runs, which members it shares them with, who owns an instance's check. */
    public static HealthChecker healthChecks(RegistryNode node) {
        return node.healthChecks();
    }
}
