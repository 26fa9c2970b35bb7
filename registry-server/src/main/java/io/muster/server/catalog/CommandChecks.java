package io.muster.server.catalog;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.RemoveMemberCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.catalog.Rejection.Reason;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The state-free checks of each replicated command, run by {@link Catalog#apply} before it changes
 * anything: the {@link Rules} of the API plus what only a replicated command carries (lease ids,
 * revisions, member addresses). Each throws {@link CommandRejectedException} labelled with the
 * operation's {@link Reason}.
 */
final class CommandChecks {

    private CommandChecks() {
    }

    /** The instance to store: normalized by the same rules the API used. */
    static Instance register(RegisterCmd cmd) {
        return labelled(Reason.INVALID_INSTANCE, () -> {
            if (!cmd.hasInstance()) {
                throw Rules.invalid("register.instance", "missing", "an instance");
            }
            Rules.requestId("register.request_id", cmd.getRequestId());
            return Rules.registered(cmd.getInstance());
        });
    }

    static void deregister(DeregisterCmd cmd) {
        labelled(Reason.INVALID_KEY, () -> {
            Rules.service("deregister.service", cmd.getService());
            Namespaces.check("deregister.namespace", cmd.getNamespace());
            Rules.requestId("deregister.request_id", cmd.getRequestId());
            return Rules.instanceId("deregister.instance_id", cmd.getInstanceId());
        });
    }

    static void expireLease(ExpireLeaseCmd cmd) {
        labelled(Reason.INVALID_LEASE, () -> {
            Rules.range("expire_lease.lease_id", cmd.getLeaseId(), 1, Long.MAX_VALUE);
            return Rules.range("expire_lease.mod_revision", cmd.getModRevision(), 0, Long.MAX_VALUE);
        });
    }

    static void setHealth(SetHealthCmd cmd) {
        labelled(Reason.INVALID_KEY, () -> {
            Rules.service("set_health.service", cmd.getService());
            Namespaces.check("set_health.namespace", cmd.getNamespace());
            return Rules.instanceId("set_health.instance_id", cmd.getInstanceId());
        });
        labelled(Reason.INVALID_HEALTH, () -> {
            Rules.health("set_health.health", cmd.getHealthValue());
            Rules.healthReason("set_health.reason", cmd.getReason());
            return Rules.range("set_health.create_revision", cmd.getCreateRevision(), 0, Long.MAX_VALUE);
        });
    }

    static void setMaintenance(SetMaintenanceCmd cmd) {
        labelled(Reason.INVALID_MAINTENANCE, () -> {
            Rules.service("set_maintenance.service", cmd.getService());
            Namespaces.check("set_maintenance.namespace", cmd.getNamespace());
            Rules.instanceId("set_maintenance.instance_id", cmd.getInstanceId());
            Rules.maintenanceReason("set_maintenance.reason", cmd.getReason());
            Rules.requestId("set_maintenance.request_id", cmd.getRequestId());
            if (!cmd.getEnabled() && !cmd.getReason().isEmpty()) {
                // the API clears it; a command that carries one was not made by the API
                throw Rules.invalid("set_maintenance.reason", cmd.getReason().length() + " chars", "empty when enabled is false");
            }
            return cmd;
        });
    }

    static void setMember(SetMemberCmd cmd) {
        labelled(Reason.INVALID_MEMBER, () -> {
            if (!cmd.hasMember()) {
                throw Rules.invalid("set_member.member", "missing", "a member");
            }
            Member m = cmd.getMember();
            Rules.memberId("set_member.member.id", m.getId());
            Rules.hostPort("set_member.member.raft_address", m.getRaftAddress());
            Rules.hostPort("set_member.member.grpc_address", m.getGrpcAddress());
            if (!m.getPeerAddress().isEmpty()) {
                // empty in entries written before members had a peer listener
                Rules.hostPort("set_member.member.peer_address", m.getPeerAddress());
            }
            return m;
        });
    }

    static void removeMember(RemoveMemberCmd cmd) {
        labelled(Reason.INVALID_MEMBER, () -> Rules.memberId("remove_member.id", cmd.getId()));
    }

    /**
     * Every instance valid (as registered, and with registry-owned fields a catalog could have
     * produced), unique keys and lease ids, revisions within the snapshot's, a next lease id above
     * every lease in it.
     */
    static void restore(CatalogSnapshot s) {
        labelled(Reason.INVALID_RESTORE, () -> {
            long rev = Rules.range("restore.snapshot.revision", s.getRevision(), 0, Long.MAX_VALUE);
            Set<InstanceKey> keys = new HashSet<>();
            Set<Long> leases = new HashSet<>();
            long maxLease = 0;
            for (int i = 0; i < s.getInstancesCount(); i++) {
                Instance in = s.getInstances(i);
                String field = "restore.snapshot.instances[" + i + "]";
                try {
                    Rules.registered(in.toBuilder().clearLeaseId().clearHealth().clearHealthReason().clearHealthChangedAtMs()
                            .clearCreateRevision().clearModRevision().clearRegisteredAtMs()
                            .clearMaintenance().clearMaintenanceReason().clearMaintenanceChangedAtMs().build());
                } catch (CommandRejectedException e) {
                    throw Rules.invalid(field, e.getMessage(), "a valid instance");
                }
                if (!keys.add(InstanceKey.of(in))) {
                    throw Rules.invalid(field + ".id", "'" + InstanceKey.of(in) + "'", "unique within the snapshot");
                }
                Rules.range(field + ".lease_id", in.getLeaseId(), 1, Long.MAX_VALUE);
                if (!leases.add(in.getLeaseId())) {
                    throw Rules.invalid(field + ".lease_id", in.getLeaseId(), "unique within the snapshot");
                }
                maxLease = Math.max(maxLease, in.getLeaseId());
                Rules.range(field + ".create_revision", in.getCreateRevision(), 1, rev);
                Rules.range(field + ".mod_revision", in.getModRevision(), in.getCreateRevision(), rev);
                Rules.health(field + ".health", in.getHealthValue());
                Rules.healthReason(field + ".health_reason", in.getHealthReason());
                Rules.maintenanceReason(field + ".maintenance_reason", in.getMaintenanceReason());
            }
            if (s.getInstancesCount() > 0) {
                Rules.range("restore.snapshot.next_lease_id", s.getNextLeaseId(), maxLease + 1, Long.MAX_VALUE);
            } else {
                Rules.range("restore.snapshot.next_lease_id", s.getNextLeaseId(), 0, Long.MAX_VALUE);
            }
            return s;
        });
    }

    private static <T> T labelled(Reason reason, Supplier<T> check) {
        try {
            return check.get();
        } catch (CommandRejectedException e) {
            throw new CommandRejectedException(e.rejection().withReason(reason));
        }
    }
}
