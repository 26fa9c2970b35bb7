package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CheckResult;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TcpCheck;
import io.muster.api.v1.TtlCheck;
import io.muster.testkit.UnitTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An instance with several checks: UNHEALTHY if any fails past its threshold, WARNING if a TTL check
 * warns, HEALTHY when all pass; one proposal in flight at a time; a failed proposal is retried at
 * the next input.
 */
@UnitTest
class MultiCheckAggregationTest {

    private static final ProbeResult OK = ProbeResult.pass("HTTP 200");
    private static final ProbeResult DOWN = ProbeResult.fail("HTTP 503");

    private static HealthCheck.Builder probe(String name, int rise, int fall) {
        return HealthCheck.newBuilder().setName(name).setIntervalMs(1000).setTimeoutMs(500).setRise(rise).setFall(fall);
    }

    private static Instance instance(HealthStatus health) {
        return Instance.newBuilder().setService("web").setId("w1").setHost("127.0.0.1").setPort(8080)
                .setCreateRevision(3).setModRevision(3).setHealth(health).setHealthReason("awaiting first check")
                .addChecks(probe("http", 2, 2).setHttp(HttpCheck.newBuilder().setPath("/health")))
                .addChecks(probe("tcp", 1, 3).setTcp(TcpCheck.getDefaultInstance()))
                .addChecks(probe("ttl", 1, 1).setTtl(TtlCheck.newBuilder().setTtlMs(10_000)))
                .build();
    }

    private static Instance committed(Instance in, Verdict v, long rev) {
        return in.toBuilder().setHealth(v.status()).setHealthReason(v.reason()).setModRevision(rev).build();
    }

    @Test
    void staysPendingUntilEveryCheckHasSettled() {
        InstanceModel m = new InstanceModel(instance(HealthStatus.PENDING), 0);
        assertThat(m.onProbe("http", OK)).isEmpty();
        assertThat(m.onProbe("http", OK)).isEmpty();
        assertThat(m.onProbe("tcp", ProbeResult.pass("connected"))).isEmpty();
        assertThat(m.onReport("ttl", CheckResult.PASS, "", 0)).contains(new Verdict(HealthStatus.HEALTHY, "all 3 checks passing"));
    }

    @Test
    void anyFailingCheckMakesItUnhealthyEvenWhileOthersAreUndecided() {
        InstanceModel m = new InstanceModel(instance(HealthStatus.PENDING), 0);
        assertThat(m.onReport("ttl", CheckResult.FAIL, "out of memory", 0))
                .contains(new Verdict(HealthStatus.UNHEALTHY, "ttl: reported fail: out of memory"));
    }

    @Test
    void warnGivesWarningOnlyWhileNothingFails() {
        Instance in = instance(HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, 0);
        Verdict warn = m.onReport("ttl", CheckResult.WARN, "slow", 0).orElseThrow();
        assertThat(warn).isEqualTo(new Verdict(HealthStatus.WARNING, "ttl: reported warn: slow"));
        assertThat(m.proposalDone(committed(in, warn, 4))).isEmpty();
        assertThat(m.onProbe("http", DOWN)).isEmpty();
        Verdict down = m.onProbe("http", DOWN).orElseThrow();
        assertThat(down).isEqualTo(new Verdict(HealthStatus.UNHEALTHY, "http: HTTP 503"));
        assertThat(m.proposalDone(committed(in, down, 5))).isEmpty();
        // http recovers: back to WARNING, since ttl still warns
        assertThat(m.onProbe("http", OK)).isEmpty();
        assertThat(m.onProbe("http", OK)).contains(new Verdict(HealthStatus.WARNING, "ttl: reported warn: slow"));
    }

    @Test
    void newOwnerOfAnUnhealthyInstanceStartsWithEveryCheckFailing() {
        InstanceModel m = new InstanceModel(instance(HealthStatus.UNHEALTHY), 0);
        // a new owner of an UNHEALTHY instance starts with every check failing, counters fresh
        assertThat(List.of("http", "tcp", "ttl")).allMatch(c -> m.checkStatus(c) == CheckStatus.FAILING);
        assertThat(m.onProbe("tcp", ProbeResult.fail("connect refused"))).isEmpty(); // already UNHEALTHY
        assertThat(m.decide()).isEmpty();
    }

    @Test
    void oneTransitionInFlightAndTheNextDecidedWhenItCompletes() {
        Instance in = instance(HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, 0);
        Verdict down = m.onReport("ttl", CheckResult.FAIL, "", 0).orElseThrow();
        assertThat(m.inFlight()).isEqualTo(HealthStatus.UNHEALTHY);
        // the same transition is not proposed again while in flight, nor the reverse one
        assertThat(m.onReport("ttl", CheckResult.FAIL, "", 0)).isEmpty();
        assertThat(m.onReport("ttl", CheckResult.PASS, "", 0)).isEmpty();
        // committed: the checks moved on meanwhile, so the next transition follows at once
        assertThat(m.proposalDone(committed(in, down, 4))).contains(new Verdict(HealthStatus.HEALTHY, "all 3 checks passing"));
    }

    @Test
    void failedProposalIsRetriedAtTheNextProbe() {
        InstanceModel m = new InstanceModel(instance(HealthStatus.HEALTHY), 0);
        assertThat(m.onProbe("tcp", ProbeResult.fail("connect refused"))).isEmpty();
        assertThat(m.onProbe("tcp", ProbeResult.fail("connect refused"))).isEmpty();
        Verdict down = m.onProbe("tcp", ProbeResult.fail("connect refused")).orElseThrow();
        assertThat(m.proposalDone(null)).isEmpty();
        assertThat(m.inFlight()).isNull();
        assertThat(m.onProbe("http", OK)).contains(down);
    }

    @Test
    void olderReplicatedNewsIsIgnored() {
        Instance in = instance(HealthStatus.HEALTHY);
        InstanceModel m = new InstanceModel(in, 0);
        m.onReplicated(in.toBuilder().setHealth(HealthStatus.UNHEALTHY).setModRevision(9).build());
        m.onReplicated(in.toBuilder().setHealth(HealthStatus.HEALTHY).setModRevision(8).build());
        assertThat(m.replicated()).isEqualTo(HealthStatus.UNHEALTHY);
        // a re-created instance (other create revision) is not this one
        m.onReplicated(in.toBuilder().setHealth(HealthStatus.PENDING).setCreateRevision(20).setModRevision(20).build());
        assertThat(m.replicated()).isEqualTo(HealthStatus.UNHEALTHY);
        // all checks pass, catalog says UNHEALTHY: the owner corrects it at the next input
        assertThat(m.onProbe("http", OK)).contains(new Verdict(HealthStatus.HEALTHY, "all 3 checks passing"));
    }
}
