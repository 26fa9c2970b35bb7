package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.TcpCheck;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RemoveMemberCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.Rejection;
import io.muster.testkit.UnitTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Determinism under arbitrary input: two replicas fed the same random sequence of valid and invalid
 * commands, one command by command, the other as log entries (random batches, serialized and decoded
 * by the state machine), end with the same catalog and the same rejection counts; no command stops
 * the state machine, and a rejected command changes nothing. Seeded: a failure prints its seed.
 */
@UnitTest
class SameCommandsSameCatalogTest {

    private static final String[] SERVICES = {"orders", "users", "Bad", "", "a-", "x".repeat(65)};
    private static final String[] IDS = {"i1", "i2", "i3", "", "has space", "y".repeat(129)};
    private static final int[] PORTS = {1, 80, 65535, 0, 70000, -1};
    private static final int[] WEIGHTS = {0, 1, 100, 10_000, 10_001, -1, 1_000_000};
    private static final long[] TTLS = {0, 1000, 10_000, 999, -5, 1L << 61, 3_600_001};

    @Test
    void replicasFedTheSameRandomCommandsEndIdenticalWhateverTheBatching() {
        long seed = System.nanoTime();
        for (int round = 0; round < 20; round++) {
            long s = seed + round;
            try {
                run(s, 2_000);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + s + ": " + e.getMessage(), e);
            }
        }
    }

    private static void run(long seed, int commands) {
        Random random = new Random(seed);
        Catalog direct = new Catalog();
        Catalog replica = new Catalog();
        CatalogStateMachine fsm = new CatalogStateMachine(replica, Runnable::run);
        List<ByteBuffer> log = new ArrayList<>();
        List<Command> pending = new ArrayList<>();
        long lastRevision = 0;
        for (int i = 0; i < commands; i++) {
            Command c = command(random);
            CatalogSnapshot before = random.nextInt(10) == 0 ? direct.snapshot() : null;
            ApplyResult r = direct.apply(c);
            assertThat(r.revision()).as("revision never goes backwards").isGreaterThanOrEqualTo(lastRevision);
            lastRevision = r.revision();
            if (before != null && r.isRejected()) {
                assertThat(direct.snapshot()).as("a rejected %s changes nothing", c.getOpCase()).isEqualTo(before);
            }
            pending.add(c);
            if (random.nextInt(4) == 0 || i == commands - 1) {
                // a lone batch command is wrapped too: at the top of an entry a batch is the batcher's, not a command
                Command entry = pending.size() == 1 && !pending.get(0).hasBatch() ? pending.get(0)
                        : Command.newBuilder().setBatch(Batch.newBuilder().addAllCommands(pending)).build();
                log.add(ByteBuffer.wrap(entry.toByteArray()));
                pending.clear();
            }
        }
        BadLogEntryStopsStateMachineTest.ListIterator it = new BadLogEntryStopsStateMachineTest.ListIterator(log);
        fsm.onApply(it);
        assertThat(it.error).as("the state machine never stops on a decodable entry").isNull();
        assertThat(fsm.appliedIndex()).isEqualTo(log.size());
        assertThat(replica.snapshot()).isEqualTo(direct.snapshot());
        long rejected = 0;
        for (Rejection.Reason reason : Rejection.Reason.values()) {
            assertThat(replica.rejected(reason)).as("rejected %s", reason).isEqualTo(direct.rejected(reason));
            rejected += direct.rejected(reason);
        }
        assertThat(lastRevision).as("the sequence changed the catalog often").isGreaterThan(commands / 10);
        assertThat(rejected).as("the sequence had many invalid commands").isGreaterThan(commands / 10);
    }

    private static <T> T pick(Random r, T[] values) {
        // valid values come first in each pool: favour them so that the catalog fills up
        return values[r.nextInt(3) > 0 ? r.nextInt(Math.min(3, values.length)) : r.nextInt(values.length)];
    }

    private static int pick(Random r, int[] values) {
        return values[r.nextInt(3) > 0 ? r.nextInt(3) : r.nextInt(values.length)];
    }

    private static long pick(Random r, long[] values) {
        return values[r.nextInt(3) > 0 ? r.nextInt(3) : r.nextInt(values.length)];
    }

    private static Command command(Random r) {
        Command.Builder b = Command.newBuilder().setNowMs(1_000 + r.nextInt(1000));
        switch (r.nextInt(11)) {
            case 0, 1, 2 -> {
                Instance.Builder in = Instance.newBuilder().setService(pick(r, SERVICES)).setId(pick(r, IDS)).setHost("10.0.0.1")
                        .setPort(pick(r, PORTS)).setWeight(pick(r, WEIGHTS)).setLeaseTtlMs(pick(r, TTLS));
                if (r.nextInt(4) == 0) {
                    in.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setRise(r.nextInt(3) == 0 ? 101 : 1));
                }
                b.setRegister(RegisterCmd.newBuilder().setInstance(in));
            }
            case 3 -> b.setDeregister(DeregisterCmd.newBuilder().setService(pick(r, SERVICES)).setInstanceId(pick(r, IDS)));
            case 4 -> b.setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(r.nextInt(40) - 5).setModRevision(r.nextInt(3) == 0 ? -1 : 0));
            case 5, 6 -> b.setSetHealth(SetHealthCmd.newBuilder().setService(pick(r, SERVICES)).setInstanceId(pick(r, IDS))
                    .setHealthValue(r.nextInt(6)).setReason("r" + r.nextInt(3)));
            case 7 -> b.setSetMember(SetMemberCmd.newBuilder().setMember(Member.newBuilder().setId(r.nextBoolean() ? "n1" : "-x")
                    .setRaftAddress("127.0.0.1:" + (7000 + r.nextInt(3))).setGrpcAddress(r.nextBoolean() ? "127.0.0.1:9001" : "nowhere")));
            case 8 -> b.setRemoveMember(RemoveMemberCmd.newBuilder().setId(r.nextBoolean() ? "n1" : ""));
            case 9 -> {
                // unknown instances and bad reasons included: rejected identically on every replica
                boolean on = r.nextBoolean();
                b.setSetMaintenance(io.muster.internal.v1.SetMaintenanceCmd.newBuilder().setService(pick(r, SERVICES))
                        .setInstanceId(pick(r, IDS)).setEnabled(on)
                        .setReason(r.nextInt(4) == 0 ? "m".repeat(1025) : on || r.nextInt(4) == 0 ? "m" + r.nextInt(2) : ""));
            }
            default -> {
                if (r.nextBoolean()) {
                    b.setBatch(Batch.newBuilder().addCommands(Command.newBuilder().setDeregister(
                            DeregisterCmd.newBuilder().setService("orders").setInstanceId("i1"))));
                }
                // else: no operation
            }
        }
        return b.build();
    }
}
