package io.muster.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.testkit.UnitTest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The sharding model's arithmetic, each figure worked out by hand from its inputs. */
@UnitTest
class ShardingModelArithmeticTest {

    private static final ShardingModel.Costs COSTS = new ShardingModel.Costs(100, 50, 10, 2, 0.2);

    private static ShardingModel.Topology topo(int hosts, int cores, int groups, double zipf, ShardingModel.Placement p) {
        return new ShardingModel.Topology(hosts, cores, groups, 90, zipf, p);
    }

    @Test
    void oneGroupIsBoundByItsLeadersCores() {
        // the leader's host: 100 µs per registration over 2 cores = 50 µs: 20,000/s
        assertEquals(20_000, ShardingModel.capacity(COSTS, topo(3, 2, 1, 0, ShardingModel.Placement.hash)), 1e-6);
    }

    @Test
    void theApplyThreadBoundsAGroupWhoseHostsHaveManyCores() {
        ShardingModel.Costs slowApply = new ShardingModel.Costs(100, 50, 100, 2, 0.2);
        // 100 µs over 64 cores is 1.6 µs; the serial apply thread's 100 µs wins: 10,000/s
        assertEquals(10_000, ShardingModel.capacity(slowApply, topo(3, 64, 1, 0, ShardingModel.Placement.hash)), 1e-6);
    }

    @Test
    void nineEvenGroupsOnNineHostsShareEveryHostsCores() {
        // each host leads one group (1/9 of 100 µs) and follows two (2/9 of 50 µs): 200/9 µs over 2 cores
        assertEquals(90_000, ShardingModel.capacity(COSTS, topo(9, 2, 9, 0, ShardingModel.Placement.balanced)), 1e-6);
        // one group on nine hosts uses three of them: 20,000/s, as on three hosts
        assertEquals(20_000, ShardingModel.capacity(COSTS, topo(9, 2, 1, 0, ShardingModel.Placement.hash)), 1e-6);
    }

    @Test
    void groupsOnNineHostsTakeDisjointHostsUntilTheyMustShare() {
        ShardingModel.Topology three = topo(9, 2, 3, 0, ShardingModel.Placement.hash);
        assertArrayEquals(new int[] {0, 3, 6}, new int[] {three.host(0, 0), three.host(0, 1), three.host(0, 2)});
        assertArrayEquals(new int[] {2, 5, 8}, new int[] {three.host(2, 0), three.host(2, 1), three.host(2, 2)});
        ShardingModel.Topology nine = topo(9, 2, 9, 0, ShardingModel.Placement.hash);
        int[] leaders = new int[9];
        for (int g = 0; g < 9; g++) {
            leaders[nine.host(g, 0)]++;
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, leaders);
    }

    @Test
    void balancedPlacementEvensOutWhatHashingLeavesUneven() {
        double hashMax = Arrays.stream(topo(9, 2, 9, 1.0, ShardingModel.Placement.hash).groupShares()).max().orElseThrow();
        double balancedMax = Arrays.stream(topo(9, 2, 9, 1.0, ShardingModel.Placement.balanced).groupShares()).max().orElseThrow();
        double[] shares = topo(9, 2, 9, 1.0, ShardingModel.Placement.balanced).namespaceShares();
        assertEquals(1.0, Arrays.stream(shares).sum(), 1e-9);
        // the heaviest namespace alone is more than 1/9 of the load: balanced placement gives it a group of its own
        assertEquals(shares[0], balancedMax, 1e-12);
        assertTrue(hashMax >= balancedMax, hashMax + " >= " + balancedMax);
    }

    @Test
    void anUnloadedRegistrationTakesTheSlowerOfTheTwoWritesThenApplyAndARoundTrip() {
        // leader CPU 0.1 ms; its write ends at 2.1 ms; a follower: +0.1 ms there, 0.05 ms CPU, 2 ms write, +0.1 ms back = 2.35 ms;
        // apply 0.01 ms; the client's round trip 0.2 ms: 2.56 ms for every request, far apart (1/s)
        ShardingModel.Result r = new ShardingModel(COSTS, topo(3, 2, 1, 0, ShardingModel.Placement.hash)).run(1, 200, 7);
        assertEquals(2.56, r.p50Ms(), 1e-9);
        assertEquals(2.56, r.p99Ms(), 1e-9);
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        ShardingModel.Topology t = topo(3, 2, 3, 1.0, ShardingModel.Placement.balanced);
        assertEquals(new ShardingModel(COSTS, t).run(15_000, 5_000, 11), new ShardingModel(COSTS, t).run(15_000, 5_000, 11));
    }

    @Test
    void anOfferedRateAboveTheCapacityIsNotCompleted() {
        ShardingModel.Topology t = topo(3, 2, 1, 0, ShardingModel.Placement.hash);
        ShardingModel.Result r = new ShardingModel(COSTS, t).run(30_000, 20_000, 3);
        // 20,000/s is all the leader's cores give
        assertTrue(r.completedPerS() < 20_500 && r.completedPerS() > 18_000, "completed " + r.completedPerS());
    }
}
