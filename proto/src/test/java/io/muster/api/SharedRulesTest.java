package io.muster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.HealthStatus;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// the suite tag of io.muster.testkit.UnitTest, by name: muster-testkit depends on this module
@Tag("unit")
class SharedRulesTest {

    @Test
    void onlyHealthyAndWarningInstancesTakeTraffic() {
        EnumSet<HealthStatus> routable = EnumSet.noneOf(HealthStatus.class);
        for (HealthStatus h : HealthStatus.values()) {
            if (Routing.isRoutable(h)) {
                routable.add(h);
            }
        }
        assertThat(routable).containsExactlyInAnyOrder(HealthStatus.HEALTHY, HealthStatus.WARNING);
    }

    @Test
    void hostPortsParseNamesIpv4AndBracketedIpv6() {
        assertThat(HostPorts.parse("a", "10.0.0.1:9001").getHost()).isEqualTo("10.0.0.1");
        assertThat(HostPorts.parse("a", "registry-1.local:1").getPort()).isEqualTo(1);
        assertThat(HostPorts.parse("a", "[::1]:65535").getHost()).isEqualTo("::1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "host", "host:", ":9001", "host:0", "host:65536", "host:+80", "host:8o", "::1:9001",
            "::1", "[::1]", "a b:80", "host:80\n", "[::1:80"})
    void anAddressWithoutAValidHostAndPortNamesTheFieldAndTheForm(String bad) {
        assertThatThrownBy(() -> HostPorts.parse("targets[2]", bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("targets[2]: '" + bad + "' (expected: " + HostPorts.EXPECTED + ")");
    }

    @Test
    void causesUnwrapOnlyTheFuturesWrappers() {
        IllegalStateException root = new IllegalStateException("boom");
        assertThat(Causes.unwrap(new CompletionException(new ExecutionException(root)))).isSameAs(root);
        CompletableFuture<Void> f = CompletableFuture.failedFuture(root);
        assertThat(Causes.unwrap(f.thenRun(() -> { }).handle((v, e) -> e).join())).isSameAs(root);
        RuntimeException notAWrapper = new RuntimeException(root);
        assertThat(Causes.unwrap(notAWrapper)).isSameAs(notAWrapper);
        CompletionException empty = new CompletionException("no cause", null);
        assertThat(Causes.unwrap(empty)).isSameAs(empty);
    }
}
