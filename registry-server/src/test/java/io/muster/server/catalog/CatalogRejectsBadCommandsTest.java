package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.TcpCheck;
import io.muster.internal.v1.Batch;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RemoveMemberCmd;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.catalog.Rejection.Kind;
import io.muster.server.catalog.Rejection.Reason;
import io.muster.testkit.UnitTest;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of command that skipped the API's validation (a forged internal proposal, a log written
 * by a broken member) is rejected by the catalog naming its field, and changes nothing: no revision,
 * no instance, no member, no lease.
 */
@UnitTest
class CatalogRejectsBadCommandsTest {

    static final Instance OK = Instance.newBuilder().setService("orders").setId("o-1").setHost("10.0.0.1").setPort(8080)
            .setWeight(100).setLeaseTtlMs(10_000).build();
    static final Member MEMBER = Member.newBuilder().setId("n1").setRaftAddress("127.0.0.1:7001")
            .setGrpcAddress("127.0.0.1:9001").setPeerAddress("127.0.0.1:7101").build();

    final Catalog catalog = new Catalog();
    long leaseOfO1;

    @BeforeEach
    void aCatalogWithOneInstanceAndOneMember() {
        leaseOfO1 = catalog.apply(register(OK)).instance().getLeaseId();
        catalog.apply(Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(MEMBER)).build());
    }

    static Command register(Instance in) {
        return Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(in)).build();
    }

    static Arguments bad(Reason reason, String message, Command command) {
        return Arguments.of(reason, message, command);
    }

    static Arguments badInstance(String message, UnaryOperator<Instance.Builder> breakIt) {
        return bad(Reason.INVALID_INSTANCE, message, register(breakIt.apply(OK.toBuilder()).build()));
    }

    static Command health(UnaryOperator<SetHealthCmd.Builder> breakIt) {
        return Command.newBuilder().setSetHealth(breakIt.apply(SetHealthCmd.newBuilder().setService("orders")
                .setInstanceId("o-1").setHealth(HealthStatus.UNHEALTHY).setReason("down"))).build();
    }

    static Command member(UnaryOperator<Member.Builder> breakIt) {
        return Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(breakIt.apply(MEMBER.toBuilder()))).build();
    }

    static Stream<Arguments> badCommands() {
        return Stream.of(
                badInstance("instance.service: '' (expected: 1-64 chars", b -> b.setService("")),
                badInstance("instance.id: '' (expected: 1-128 chars of [A-Za-z0-9._:-])", b -> b.setId("")),
                badInstance("instance.host: ''", b -> b.setHost("")),
                badInstance("instance.port: 0 (expected: 1-65535)", b -> b.setPort(0)),
                badInstance("instance.port: 4294967295 (expected: 1-65535)", b -> b.setPort(-1)),
                badInstance("instance.weight: 1000000 (expected: 1-10000)", b -> b.setWeight(1_000_000)),
                badInstance("instance.weight: 4294967295 (expected: 1-10000)", b -> b.setWeight(-1)),
                badInstance("instance.lease_ttl_ms: -5 (expected: 1000-3600000)", b -> b.setLeaseTtlMs(-5)),
                badInstance("instance.lease_ttl_ms: 2305843009213693952 (expected: 1000-3600000)", b -> b.setLeaseTtlMs(1L << 61)),
                badInstance("instance: 1048", b -> b.putMetadata("big", "x".repeat(1 << 20))),
                badInstance("instance.metadata[k]: 1025 chars (expected: at most 1024 chars)", b -> b.putMetadata("k", "v".repeat(1025))),
                badInstance("instance.tags[0]: 'a b'", b -> b.addTags("a b")),
                badInstance("instance.checks[0].rise: 101 (expected: 1-100)",
                        b -> b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setRise(101))),
                badInstance("instance.initial_health: 9", b -> b.setInitialHealthValue(9)),
                bad(Reason.INVALID_INSTANCE, "register.instance: missing",
                        Command.newBuilder().setRegister(RegisterCmd.getDefaultInstance()).build()),
                bad(Reason.INVALID_KEY, "deregister.service: ''", Command.newBuilder()
                        .setDeregister(DeregisterCmd.newBuilder().setInstanceId("o-1")).build()),
                bad(Reason.INVALID_KEY, "deregister.instance_id: 'has space'", Command.newBuilder()
                        .setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("has space")).build()),
                bad(Reason.INVALID_LEASE, "expire_lease.lease_id: 0 (expected: 1-", Command.newBuilder()
                        .setExpireLease(ExpireLeaseCmd.getDefaultInstance()).build()),
                bad(Reason.INVALID_LEASE, "expire_lease.lease_id: -1 (expected: 1-", Command.newBuilder()
                        .setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(-1)).build()),
                bad(Reason.INVALID_KEY, "set_health.service: ''", health(b -> b.clearService())),
                bad(Reason.INVALID_KEY, "set_health.instance_id: ''", health(b -> b.clearInstanceId())),
                bad(Reason.INVALID_HEALTH, "set_health.health: 0 (expected: PENDING, HEALTHY, WARNING or UNHEALTHY)",
                        health(b -> b.setHealth(HealthStatus.HEALTH_STATUS_UNSPECIFIED))),
                bad(Reason.INVALID_HEALTH, "set_health.health: 17", health(b -> b.setHealthValue(17))),
                bad(Reason.INVALID_HEALTH, "set_health.reason: 4097 chars (expected: at most 4096 chars)",
                        health(b -> b.setReason("r".repeat(4097)))),
                bad(Reason.INVALID_MEMBER, "set_member.member: missing",
                        Command.newBuilder().setSetMember(SetMemberCmd.getDefaultInstance()).build()),
                bad(Reason.INVALID_MEMBER, "set_member.member.id: '-n1'", member(b -> b.setId("-n1"))),
                bad(Reason.INVALID_MEMBER, "set_member.member.raft_address: 'nowhere'", member(b -> b.setRaftAddress("nowhere"))),
                bad(Reason.INVALID_MEMBER, "set_member.member.grpc_address: '127.0.0.1:0'", member(b -> b.setGrpcAddress("127.0.0.1:0"))),
                bad(Reason.INVALID_MEMBER, "set_member.member.grpc_address: ''", member(b -> b.clearGrpcAddress())),
                bad(Reason.INVALID_MEMBER, "set_member.member.peer_address: 'evil host:1'", member(b -> b.setPeerAddress("evil host:1"))),
                bad(Reason.INVALID_MEMBER, "remove_member.id: ''",
                        Command.newBuilder().setRemoveMember(RemoveMemberCmd.getDefaultInstance()).build()),
                bad(Reason.NESTED_BATCH, "command: batch (expected: one operation; a batch is never nested)",
                        Command.newBuilder().setBatch(Batch.newBuilder().addCommands(register(OK.toBuilder().setId("o-2").build()))).build()),
                bad(Reason.NO_OPERATION, "command: no operation (expected: one operation)", Command.newBuilder().setNowMs(5).build()),
                bad(Reason.INVALID_RESTORE, "restore.snapshot.instances[0]: instance.port: 0", restore(s -> s
                        .addInstances(stored(OK.toBuilder().setPort(0), 1)).setRevision(1).setNextLeaseId(2))),
                bad(Reason.INVALID_RESTORE, "restore.snapshot.instances[1].id: 'orders/o-1' (expected: unique", restore(s -> s
                        .addInstances(stored(OK.toBuilder(), 1)).addInstances(stored(OK.toBuilder(), 2)).setRevision(2).setNextLeaseId(3))),
                bad(Reason.INVALID_RESTORE, "restore.snapshot.instances[1].lease_id: 1 (expected: unique", restore(s -> s
                        .addInstances(stored(OK.toBuilder(), 1)).addInstances(stored(OK.toBuilder().setId("o-2"), 1))
                        .setRevision(2).setNextLeaseId(3))),
                bad(Reason.INVALID_RESTORE, "restore.snapshot.instances[0].mod_revision: 9 (expected: 1-5)", restore(s -> s
                        .addInstances(stored(OK.toBuilder(), 1).setModRevision(9)).setRevision(5).setNextLeaseId(2))),
                bad(Reason.INVALID_RESTORE, "restore.snapshot.next_lease_id: 1 (expected: 2-", restore(s -> s
                        .addInstances(stored(OK.toBuilder(), 1)).setRevision(5).setNextLeaseId(1))));
    }

    static Instance.Builder stored(Instance.Builder b, long lease) {
        return b.setLeaseId(lease).setCreateRevision(1).setModRevision(1).setHealth(HealthStatus.HEALTHY);
    }

    static Command restore(UnaryOperator<CatalogSnapshot.Builder> s) {
        return Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(s.apply(CatalogSnapshot.newBuilder()))).build();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badCommands")
    void aBadCommandIsRejectedNamingItsFieldAndChangesNothing(Reason reason, String message, Command command) {
        CatalogSnapshot before = catalog.snapshot();
        ApplyResult r = catalog.apply(command);
        assertThat(r.isRejected()).as("rejected").isTrue();
        assertThat(r.rejection().kind()).isEqualTo(Kind.INVALID_ARGUMENT);
        assertThat(r.rejection().reason()).isEqualTo(reason);
        assertThat(r.rejection().message()).startsWith(message);
        assertThat(r.changed()).isFalse();
        assertThat(r.revision()).as("a rejected command takes no revision").isEqualTo(before.getRevision());
        assertThat(catalog.snapshot()).as("catalog unchanged").isEqualTo(before);
        assertThat(catalog.rejected(reason)).isEqualTo(1);
    }

    @Test
    void memberAddressesAsDeployedAreAccepted() {
        for (String address : new String[]{"n1.muster:7001", "muster_n1:7001", "[::1]:7001", "10.0.0.1:65535"}) {
            ApplyResult r = catalog.apply(member(b -> b.setRaftAddress(address)));
            assertThat(r.rejection()).as(address).isNull();
        }
        for (String address : new String[]{"::1:7001", "h:0", "h:65536", "h:", ":7001", "h:x1"}) {
            assertThat(catalog.apply(member(b -> b.setRaftAddress(address))).rejection()).as(address).isNotNull();
        }
    }

    @Test
    void aRestoreIntoACatalogThatIsNotEmptyFailsItsPrecondition() {
        CatalogSnapshot before = catalog.snapshot();
        ApplyResult r = catalog.apply(restore(s -> s.setRevision(0)));
        assertThat(r.rejection()).isEqualTo(new Rejection(Kind.FAILED_PRECONDITION, Reason.RESTORE_NOT_EMPTY,
                "restore: catalog at revision 1 (expected: an empty catalog (revision 0))"));
        assertThat(catalog.snapshot()).isEqualTo(before);
    }

    @Test
    void aValidRestoreIntoAnEmptyCatalogStillApplies() {
        Catalog empty = new Catalog();
        CatalogSnapshot backup = catalog.snapshot();
        ApplyResult r = empty.apply(Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(backup)).build());
        assertThat(r.isRejected()).isFalse();
        assertThat(r.changed()).isTrue();
        assertThat(empty.snapshot().getInstancesList()).isEqualTo(backup.getInstancesList());
    }

    @Test
    void idempotentCommandsOnMissingTargetsAreNoOpsNotRejections() {
        // a retry after an unknown outcome must succeed: these are the normal answers to a repeat
        CatalogSnapshot before = catalog.snapshot();
        ApplyResult gone = catalog.apply(Command.newBuilder().setDeregister(DeregisterCmd.newBuilder()
                .setService("orders").setInstanceId("nobody")).build());
        ApplyResult unknownLease = catalog.apply(Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder()
                .setLeaseId(leaseOfO1 + 100)).build());
        ApplyResult noInstance = catalog.apply(health(b -> b.setInstanceId("nobody")));
        assertThat(java.util.List.of(gone, unknownLease, noInstance)).allSatisfy(r -> {
            assertThat(r.isRejected()).isFalse();
            assertThat(r.changed()).isFalse();
        });
        assertThat(catalog.snapshot()).isEqualTo(before);
    }

    @Test
    void theInstanceStoredIsTheNormalizedOneWhateverRegistryFieldsTheCommandCarried() {
        ApplyResult r = catalog.apply(register(OK.toBuilder().setId("o-2").setLeaseId(leaseOfO1).setCreateRevision(99)
                .setHealth(HealthStatus.UNHEALTHY).addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance())).build()));
        assertThat(r.instance().getLeaseId()).as("a forged lease id is not taken").isNotEqualTo(leaseOfO1);
        assertThat(r.instance().getCreateRevision()).isEqualTo(r.revision());
        assertThat(r.instance().getHealth()).isEqualTo(HealthStatus.PENDING);
        assertThat(r.instance().getChecks(0).getName()).isEqualTo("tcp");
        assertThat(r.instance().getChecks(0).getIntervalMs()).isEqualTo(5000);
    }
}
