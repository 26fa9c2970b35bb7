package io.muster.robustness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** The faults a run injects, one at a time, each held for a while and then repaired. */
enum Fault {
    /** kill -9 of the leader; restarted after the hold. */
    KILL_LEADER,
    /** kill -9 of a follower; restarted after the hold. */
    KILL_FOLLOWER,
    /** SIGSTOP of the leader for the hold (longer than the election timeout), then SIGCONT. */
    FREEZE_LEADER,
    /** The leader and the largest minority with it cut off from the rest (1 of 3, 2 of 5). */
    ISOLATE_LEADER,
    /** Followers only on the minority side. */
    ISOLATE_FOLLOWER,
    /** Bytes from the leader to one follower lost; the other way still arrives. */
    ONE_WAY_LOSS,
    /** 150 ms more each way on every link of a random member. */
    DELAY,
    /** A random member isolated and healed every 700 ms during the hold. */
    FLAPPING,
    /** kill -9 of every member, then all restarted. */
    KILL_ALL,
    /**
     * A random member (the leader as likely as a follower) removed from the cluster under the
     * traffic and, at the repair, added back with its process and state as they were.
     */
    REMOVE_AND_ADD_MEMBER;

    /** The faults that isolate one side of the cluster (the minority's reads are checked during them). */
    boolean partitions() {
        return this == ISOLATE_LEADER || this == ISOLATE_FOLLOWER;
    }

    /**
     * The CI schedule: every fault but the full-cluster kill once, in an order drawn from the seed
     * (so partitions always run), the membership cycle last (added later: a seed recorded before it
     * still replays its first eight cycles as it ran them); the long schedule: {@code cycles} faults
     * drawn from the seed.
     */
    static List<Fault> schedule(String profile, int cycles, List<Fault> kinds, Random random) {
        List<Fault> faults = new ArrayList<>();
        if (profile.equals("ci")) {
            for (Fault f : values()) {
                if (f != KILL_ALL && f != REMOVE_AND_ADD_MEMBER) {
                    faults.add(f);
                }
            }
            Collections.shuffle(faults, random);
            faults.add(REMOVE_AND_ADD_MEMBER);
            return faults;
        }
        for (int i = 0; i < cycles; i++) {
            faults.add(kinds.get(random.nextInt(kinds.size())));
        }
        return faults;
    }

    /** {@code -Drobustness.faults=FREEZE_LEADER,KILL_ALL}: the kinds a long run draws from (default: all). */
    static List<Fault> kinds(String property) {
        if (property == null || property.isBlank()) {
            return List.of(values());
        }
        return java.util.Arrays.stream(property.split(",")).map(String::trim).map(Fault::valueOf).toList();
    }
}
