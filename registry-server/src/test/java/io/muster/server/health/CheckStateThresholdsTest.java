package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.testkit.UnitTest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rise / fall state machine, result by result. */
@UnitTest
class CheckStateThresholdsTest {

    private static final ProbeResult OK = ProbeResult.pass("HTTP 200");
    private static final ProbeResult DOWN = ProbeResult.fail("HTTP 503");

    @Test
    void pendingCheckNeedsRiseConsecutiveSuccesses() {
        CheckState s = new CheckState(3, 2, CheckStatus.UNKNOWN, "awaiting first check");
        assertThat(s.record(OK)).isEmpty();
        assertThat(s.record(OK)).isEmpty();
        assertThat(s.record(OK)).contains(CheckStatus.PASSING);
        assertThat(s.reason()).isEqualTo("HTTP 200");
    }

    @Test
    void failureResetsTheSuccessCount() {
        CheckState s = new CheckState(2, 3, CheckStatus.UNKNOWN, "");
        assertThat(s.record(OK)).isEmpty();
        assertThat(s.record(DOWN)).isEmpty();
        assertThat(s.record(OK)).isEmpty();
        assertThat(s.consecutiveSuccesses()).isEqualTo(1);
        assertThat(s.record(OK)).contains(CheckStatus.PASSING);
    }

    @Test
    void passingCheckFailsOnlyAfterFallConsecutiveFailures() {
        CheckState s = new CheckState(1, 3, CheckStatus.PASSING, "registered");
        assertThat(s.record(DOWN)).isEmpty();
        assertThat(s.record(DOWN)).isEmpty();
        assertThat(s.status()).isEqualTo(CheckStatus.PASSING);
        assertThat(s.record(DOWN)).contains(CheckStatus.FAILING);
        assertThat(s.reason()).isEqualTo("HTTP 503");
    }

    @Test
    void alternatingResultsBelowBothThresholdsNeverChangeTheStatus() {
        CheckState s = new CheckState(2, 2, CheckStatus.PASSING, "");
        for (int i = 0; i < 1000; i++) {
            assertThat(s.record(i % 2 == 0 ? DOWN : OK)).isEmpty();
        }
        assertThat(s.status()).isEqualTo(CheckStatus.PASSING);
    }

    @Test
    void failingCheckRecoversAfterRiseAndKeepsTheLatestFailureReason() {
        CheckState s = new CheckState(2, 1, CheckStatus.PASSING, "");
        assertThat(s.record(DOWN)).contains(CheckStatus.FAILING);
        assertThat(s.record(ProbeResult.fail("connect refused"))).isEmpty();
        assertThat(s.reason()).isEqualTo("connect refused");
        assertThat(s.record(OK)).isEmpty();
        assertThat(s.reason()).isEqualTo("connect refused");
        assertThat(s.record(OK)).contains(CheckStatus.PASSING);
    }

    @Test
    void warnIsASuccessAndSwitchesWithoutThreshold() {
        CheckState s = new CheckState(3, 3, CheckStatus.PASSING, "");
        assertThat(s.record(ProbeResult.warn("reported warn: slow"))).contains(CheckStatus.WARNING);
        assertThat(s.record(OK)).contains(CheckStatus.PASSING);
    }

    @Test
    void pendingCheckAlsoWaitsForFallBeforeFailing() {
        CheckState s = new CheckState(1, 2, CheckStatus.UNKNOWN, "");
        assertThat(s.record(DOWN)).isEmpty();
        assertThat(s.record(DOWN)).isEqualTo(Optional.of(CheckStatus.FAILING));
    }

    @Test
    void newOwnerStartsFromTheReplicatedStatus() {
        assertThat(CheckStatus.initial(HealthStatus.PENDING, false)).isEqualTo(CheckStatus.UNKNOWN);
        assertThat(CheckStatus.initial(HealthStatus.HEALTHY, false)).isEqualTo(CheckStatus.PASSING);
        assertThat(CheckStatus.initial(HealthStatus.UNHEALTHY, true)).isEqualTo(CheckStatus.FAILING);
        assertThat(CheckStatus.initial(HealthStatus.WARNING, true)).isEqualTo(CheckStatus.WARNING);
        assertThat(CheckStatus.initial(HealthStatus.WARNING, false)).isEqualTo(CheckStatus.PASSING);
    }
}
