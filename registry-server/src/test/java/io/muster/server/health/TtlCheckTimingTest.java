package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.CheckResult;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TtlCheck;
import io.muster.testkit.UnitTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** TTL checks with a fake clock: expiry exactly at ttl after the last report, reports take effect at once. */
@UnitTest
class TtlCheckTimingTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private long now = 1_000_000 * MS;

    private static Instance withTtl(long ttlMs, HealthStatus health) {
        return Instance.newBuilder().setService("jobs").setId("j1").setHost("127.0.0.1").setPort(9000)
                .setCreateRevision(7).setModRevision(7).setHealth(health)
                .addChecks(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs((int) ttlMs))
                        .setIntervalMs(5000).setTimeoutMs(2000).setRise(3).setFall(3))
                .build();
    }

    /** Applies a committed transition as the catalog would. */
    private static void commit(InstanceModel m, Instance in, Verdict v, long modRevision) {
        m.proposalDone(in.toBuilder().setHealth(v.status()).setHealthReason(v.reason()).setModRevision(modRevision).build());
    }

    @Test
    void noReportWithinTtlFailsExactlyAtTheDeadline() {
        Instance in = withTtl(5000, HealthStatus.PENDING);
        InstanceModel m = new InstanceModel(in, now);
        Verdict first = m.onReport("ttl", CheckResult.PASS, "", now).orElseThrow();
        assertThat(first).isEqualTo(new Verdict(HealthStatus.HEALTHY, "reported pass"));
        commit(m, in, first, 8);

        now += 3000 * MS;
        assertThat(m.onReport("ttl", CheckResult.PASS, "", now)).isEmpty();
        assertThat(m.ttlNanosLeft("ttl", now)).isEqualTo(5000 * MS);

        now += 4999 * MS;
        assertThat(m.onTtlTimer("ttl", now)).isEmpty();
        now += MS;
        assertThat(m.onTtlTimer("ttl", now)).contains(new Verdict(HealthStatus.UNHEALTHY, "TTL expired: no report in 5000ms"));
    }

    @Test
    void expiryIsSignalledOnceAndAReportRevivesTheCheck() {
        Instance in = withTtl(1000, HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, now);
        now += 1000 * MS;
        Verdict expired = m.onTtlTimer("ttl", now).orElseThrow();
        assertThat(expired.status()).isEqualTo(HealthStatus.UNHEALTHY);
        commit(m, in, expired, 8);
        now += 10_000 * MS;
        assertThat(m.onTtlTimer("ttl", now)).isEmpty();
        // no rise damping for reports: one pass is enough
        assertThat(m.onReport("ttl", CheckResult.PASS, "ok again", now)).contains(new Verdict(HealthStatus.HEALTHY, "ok again"));
    }

    @Test
    void failReportMakesTheInstanceUnhealthyAtOnceDespiteFall() {
        Instance in = withTtl(5000, HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, now);
        assertThat(m.onReport("ttl", CheckResult.FAIL, "disk full", now))
                .contains(new Verdict(HealthStatus.UNHEALTHY, "reported fail: disk full"));
    }

    @Test
    void warnReportGivesWarning() {
        Instance in = withTtl(5000, HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, now);
        assertThat(m.onReport("ttl", CheckResult.WARN, "queue 90% full", now))
                .contains(new Verdict(HealthStatus.WARNING, "reported warn: queue 90% full"));
    }

    @Test
    void newOwnerGivesTheInstanceAFullTtl() {
        Instance in = withTtl(2000, HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, now);
        assertThat(m.ttlNanosLeft("ttl", now)).isEqualTo(2000 * MS);
        assertThat(m.checkStatus("ttl")).isEqualTo(CheckStatus.PASSING);
    }

    @Test
    void reportForANonTtlCheckIsRefused() {
        Instance in = withTtl(2000, HealthStatus.HEALTHY).toBuilder()
                .addChecks(HealthCheck.newBuilder().setName("tcp").setTcp(io.muster.api.v1.TcpCheck.getDefaultInstance())
                        .setIntervalMs(1000).setTimeoutMs(500).setRise(1).setFall(1))
                .build();
        InstanceModel m = new InstanceModel(in, now);
        assertThatThrownBy(() -> m.onReport("tcp", CheckResult.PASS, "", now)).isInstanceOf(IllegalArgumentException.class);
    }
}
