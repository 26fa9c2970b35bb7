package io.muster.server.catalog;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMaintenanceCmd;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The replicated state: instances indexed by namespace and service, the lease index and the member directory.
 *
 * <p>Threading: {@link #apply} and {@link #restore} are called only by the Raft apply thread and
 * take the write lock; readers take the read lock through {@link #read}. Every change gets the next
 * revision (one revision per event), so revisions are dense and identical on every replica that
 * applied the same log. A command that breaks a rule is rejected (a result, not an exception): it
 * changes nothing and takes no revision.
 */
public final class Catalog {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Namespace, then service, then instance id. */
    private final Map<String, Map<String, Map<String, Instance>>> namespaces = new TreeMap<>();
    private final Map<Long, InstanceKey> leases = new HashMap<>();
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final List<CatalogListener> listeners = new CopyOnWriteArrayList<>();
    private final AclTable acl = new AclTable();
    private final AppliedWrites appliedWrites = new AppliedWrites();
    private final List<Runnable> aclListeners = new CopyOnWriteArrayList<>();
    private long revision;
    private long nextLeaseId = 1;
    private final LongAdder[] rejected = newCounters();

    private static LongAdder[] newCounters() {
        LongAdder[] counters = new LongAdder[Rejection.Reason.values().length];
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
        return counters;
    }

    public void addListener(CatalogListener listener) {
        listeners.add(listener);
    }

    /**
     * Runs {@code listener} on the apply thread after every ACL change and every state reset (a
     * snapshot load), once the new {@link #acl()} view is published. It must not block.
     */
    public void addAclListener(Runnable listener) {
        aclListeners.add(listener);
    }

    /** The ACL state as of the last applied change; read without a lock. */
    public AclView acl() {
        return acl.view();
    }

    /**
     * Applies one command, or rejects it. A command that breaks a rule ({@link Rules}, or a check of
     * {@link CommandChecks}) changes nothing, takes no revision and comes back as
     * {@link ApplyResult#rejected}: the same outcome on every replica, so the state machine goes on.
     * Never throws for a decodable command; an exception from here is a bug.
     */
    public ApplyResult apply(Command command) {
        lock.writeLock().lock();
        try {
            return switch (command.getOpCase()) {
                case REGISTER -> register(CommandChecks.register(command.getRegister()), command.getRegister().getRequestId(),
                        command.getNowMs());
                case DEREGISTER -> {
                    CommandChecks.deregister(command.getDeregister());
                    yield deregister(command.getDeregister(), command.getNowMs());
                }
                case EXPIRE_LEASE -> {
                    CommandChecks.expireLease(command.getExpireLease());
                    yield expire(command.getExpireLease());
                }
                case SET_HEALTH -> {
                    CommandChecks.setHealth(command.getSetHealth());
                    yield setHealth(command.getSetHealth(), command.getNowMs());
                }
                case SET_MEMBER -> {
                    CommandChecks.setMember(command.getSetMember());
                    Member m = command.getSetMember().getMember();
                    members.put(m.getId(), m.toBuilder().clearLeader().clearAlive().build());
                    yield ApplyResult.unchanged(revision);
                }
                case REMOVE_MEMBER -> {
                    CommandChecks.removeMember(command.getRemoveMember());
                    members.remove(command.getRemoveMember().getId());
                    yield ApplyResult.unchanged(revision);
                }
                case RESTORE -> {
                    CommandChecks.restore(command.getRestore().getSnapshot());
                    if (revision != 0 || !namespaces.isEmpty()) {
                        throw new CommandRejectedException(new Rejection(Rejection.Kind.FAILED_PRECONDITION,
                                Rejection.Reason.RESTORE_NOT_EMPTY, Rules.message("restore", "catalog at revision " + revision,
                                "an empty catalog (revision 0)")));
                    }
                    // the backup's member directory and ACL describe the old cluster: keep this one's
                    resetTo(command.getRestore().getSnapshot().toBuilder().clearMembers().addAllMembers(members.values())
                            .setAcl(acl.snapshot()).clearAppliedWrites().addAllAppliedWrites(appliedWrites.snapshot()).build());
                    yield new ApplyResult(revision, true, null, false);
                }
                case CREATE_ACL_TOKEN -> {
                    acl.createToken(command.getCreateAclToken());
                    yield aclChanged(true);
                }
                case DELETE_ACL_TOKEN -> aclChanged(acl.deleteToken(command.getDeleteAclToken()));
                case PUT_ACL_POLICY -> {
                    acl.putPolicy(command.getPutAclPolicy());
                    yield aclChanged(true);
                }
                case DELETE_ACL_POLICY -> aclChanged(acl.deletePolicy(command.getDeleteAclPolicy()));
                // a batch entry is unwrapped by the state machine: one that reaches here was nested
                case BATCH -> throw new CommandRejectedException(Rejection.invalid(Rejection.Reason.NESTED_BATCH,
                        Rules.message("command", "batch", "one operation; a batch is never nested")));
                case SET_MAINTENANCE -> {
                    CommandChecks.setMaintenance(command.getSetMaintenance());
                    yield setMaintenanceOnce(command.getSetMaintenance(), command.getNowMs());
                }
                case OP_NOT_SET -> throw new CommandRejectedException(Rejection.invalid(Rejection.Reason.NO_OPERATION,
                        Rules.message("command", "no operation", "one operation")));
            };
        } catch (CommandRejectedException e) {
            // every check runs before the first change, so nothing is half applied
            rejected[e.rejection().reason().ordinal()].increment();
            return ApplyResult.rejected(revision, e.rejection());
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** An ACL change takes no revision: revisions number the catalog's events, which watchers receive. */
    private ApplyResult aclChanged(boolean changed) {
        if (changed) {
            aclListeners.forEach(Runnable::run);
        }
        return new ApplyResult(revision, changed, null, changed);
    }

    /** Commands rejected with {@code reason} since this catalog was created (identical on every replica for the same log). */
    public long rejected(Rejection.Reason reason) {
        return rejected[reason.ordinal()].sum();
    }

    /**
     * A register with a request id already applied within the window is answered as the first time
     * ({@link AppliedWrites}: a retry must not overwrite what others wrote since) and changes nothing.
     */
    private ApplyResult register(Instance in, String requestId, long nowMs) {
        String key = requestId.isEmpty() ? null : AppliedWrites.key("register", InstanceKey.of(in), requestId);
        AppliedWrites.Applied earlier = key == null ? null : appliedWrites.find(key, nowMs);
        if (earlier != null) {
            Instance answered = Instance.newBuilder().setNamespace(in.getNamespace()).setService(in.getService()).setId(in.getId())
                    .setLeaseId(earlier.leaseId()).setLeaseTtlMs(earlier.leaseTtlMs()).build();
            return new ApplyResult(revision, false, answered, earlier.existed());
        }
        ApplyResult r = register(in, nowMs);
        if (key != null) {
            appliedWrites.add(key, new AppliedWrites.Applied(nowMs, r.instance().getLeaseId(), r.instance().getLeaseTtlMs(), r.existed(), false));
        }
        return r;
    }

    private ApplyResult register(Instance in, long nowMs) {
        Map<String, Instance> byId = namespaces.computeIfAbsent(in.getNamespace(), k -> new TreeMap<>())
                .computeIfAbsent(in.getService(), k -> new LinkedHashMap<>());
        Instance old = byId.get(in.getId());
        long rev = revision + 1;
        Instance.Builder b = in.toBuilder().setModRevision(rev);
        if (old == null) {
            long leaseId = nextLeaseId++;
            HealthStatus initial = in.getInitialHealth() == HealthStatus.HEALTH_STATUS_UNSPECIFIED
                    ? (in.getChecksCount() > 0 ? HealthStatus.PENDING : HealthStatus.HEALTHY)
                    : in.getInitialHealth();
            b.setLeaseId(leaseId)
                    .setCreateRevision(rev)
                    .setRegisteredAtMs(nowMs)
                    .setHealth(initial)
                    .setHealthReason(initial == HealthStatus.PENDING ? "awaiting first check" : "registered")
                    .setHealthChangedAtMs(nowMs);
        } else {
            // an update keeps identity, lease and the health the checks established
            b.setLeaseId(old.getLeaseId())
                    .setCreateRevision(old.getCreateRevision())
                    .setRegisteredAtMs(old.getRegisteredAtMs())
                    .setHealth(old.getHealth())
                    .setHealthReason(old.getHealthReason())
                    .setHealthChangedAtMs(old.getHealthChangedAtMs())
                    // maintenance is an operator's decision: a restarting instance re-registering keeps it
                    .setMaintenance(old.getMaintenance())
                    .setMaintenanceReason(old.getMaintenanceReason())
                    .setMaintenanceChangedAtMs(old.getMaintenanceChangedAtMs());
        }
        Instance stored = SharedStrings.share(b).build();
        byId.put(stored.getId(), stored);
        leases.put(stored.getLeaseId(), InstanceKey.of(stored));
        revision = rev;
        emit(event(old == null ? EventType.REGISTERED : EventType.UPDATED, rev, stored, HealthStatus.HEALTH_STATUS_UNSPECIFIED));
        return new ApplyResult(rev, true, stored, old != null);
    }

    /** Like {@link #register(Instance, String, long)}: a retried deregister never removes a later registration. */
    private ApplyResult deregister(DeregisterCmd cmd, long nowMs) {
        String key = cmd.getRequestId().isEmpty() ? null
                : AppliedWrites.key("deregister", key(cmd), cmd.getRequestId());
        AppliedWrites.Applied earlier = key == null ? null : appliedWrites.find(key, nowMs);
        if (earlier != null) {
            return new ApplyResult(revision, false, null, earlier.existed());
        }
        ApplyResult r = deregister(cmd);
        if (key != null) {
            appliedWrites.add(key, new AppliedWrites.Applied(nowMs, 0, 0, r.existed(), false));
        }
        return r;
    }

    private ApplyResult deregister(DeregisterCmd cmd) {
        Instance removed = remove(key(cmd));
        if (removed == null) {
            return ApplyResult.unchanged(revision);
        }
        long rev = ++revision;
        emit(event(EventType.DEREGISTERED, rev, removed.toBuilder().setModRevision(rev).build(), HealthStatus.HEALTH_STATUS_UNSPECIFIED));
        return new ApplyResult(rev, true, removed, true);
    }

    private ApplyResult expire(ExpireLeaseCmd cmd) {
        InstanceKey key = leases.get(cmd.getLeaseId());
        if (key == null) {
            return ApplyResult.unchanged(revision);
        }
        Instance current = get(key);
        if (current != null && cmd.getModRevision() != 0 && current.getModRevision() > cmd.getModRevision()) {
            // re-registered after the leader decided to expire it: the lease was renewed
            return ApplyResult.unchanged(revision);
        }
        Instance removed = remove(key);
        long rev = ++revision;
        emit(event(EventType.EXPIRED, rev, removed.toBuilder().setModRevision(rev).build(), HealthStatus.HEALTH_STATUS_UNSPECIFIED));
        return new ApplyResult(rev, true, removed, true);
    }

    private ApplyResult setHealth(SetHealthCmd cmd, long nowMs) {
        InstanceKey key = new InstanceKey(cmd.getNamespace(), cmd.getService(), cmd.getInstanceId());
        Instance current = get(key);
        if (current == null
                || (cmd.getCreateRevision() != 0 && current.getCreateRevision() != cmd.getCreateRevision())
                || current.getHealth() == cmd.getHealth()) {
            return new ApplyResult(revision, false, current, current != null);
        }
        long rev = ++revision;
        Instance updated = current.toBuilder()
                .setHealth(cmd.getHealth())
                .setHealthReason(cmd.getReason().intern())
                .setHealthChangedAtMs(nowMs)
                .setModRevision(rev)
                .build();
        namespaces.get(key.namespace()).get(key.service()).put(key.id(), updated);
        emit(event(EventType.HEALTH_CHANGED, rev, updated, current.getHealth()));
        return new ApplyResult(rev, true, updated, true);
    }

    /**
     * Like {@link #register(Instance, String, long)}: a retried maintenance change never undoes a later
     * one (on, its answer lost, off by another caller, then the retry turned it on again). The retry
     * is answered as the first attempt was ({@code changed}, the current revision) with the instance
     * as it is now, or, if it has been deregistered since, its key and the flag the first attempt set
     * (the first attempt succeeded: its retry must not hear NOT_FOUND). A rejected attempt is not
     * remembered: nothing was applied, so its retry is checked again.
     */
    private ApplyResult setMaintenanceOnce(SetMaintenanceCmd cmd, long nowMs) {
        String key = cmd.getRequestId().isEmpty() ? null
                : AppliedWrites.key("maintenance", key(cmd), cmd.getRequestId());
        AppliedWrites.Applied earlier = key == null ? null : appliedWrites.find(key, nowMs);
        if (earlier != null) {
            Instance now = get(key(cmd));
            Instance answered = now != null ? now : Instance.newBuilder().setNamespace(Namespaces.of(cmd.getNamespace()))
                    .setService(cmd.getService()).setId(cmd.getInstanceId())
                    .setMaintenance(cmd.getEnabled()).setMaintenanceReason(cmd.getReason()).build();
            return new ApplyResult(revision, earlier.changed(), answered, true);
        }
        ApplyResult r = setMaintenance(cmd, nowMs);
        if (key != null) {
            appliedWrites.add(key, new AppliedWrites.Applied(nowMs, 0, 0, true, r.changed()));
        }
        return r;
    }

    /**
     * An unknown instance is a rejection (NOT_FOUND), not a no-op: unlike a health transition, an
     * operator's request names an instance that should exist, and must hear that it does not. The
     * state the instance already has (same flag, same reason) changes nothing and takes no revision.
     */
    private ApplyResult setMaintenance(SetMaintenanceCmd cmd, long nowMs) {
        InstanceKey key = key(cmd);
        Instance current = get(key);
        if (current == null) {
            throw new CommandRejectedException(new Rejection(Rejection.Kind.NOT_FOUND, Rejection.Reason.UNKNOWN_INSTANCE,
                    Rules.message("set_maintenance", "'" + key + "'", "a registered instance")));
        }
        if (current.getMaintenance() == cmd.getEnabled() && current.getMaintenanceReason().equals(cmd.getReason())) {
            return new ApplyResult(revision, false, current, true);
        }
        long rev = ++revision;
        Instance updated = current.toBuilder()
                .setMaintenance(cmd.getEnabled())
                .setMaintenanceReason(cmd.getReason())
                .setMaintenanceChangedAtMs(nowMs)
                .setModRevision(rev)
                .build();
        namespaces.get(key.namespace()).get(key.service()).put(key.id(), updated);
        emit(event(EventType.MAINTENANCE_CHANGED, rev, updated, current.getHealth()));
        return new ApplyResult(rev, true, updated, true);
    }

    private static InstanceKey key(DeregisterCmd cmd) {
        return new InstanceKey(cmd.getNamespace(), cmd.getService(), cmd.getInstanceId());
    }

    private static InstanceKey key(SetMaintenanceCmd cmd) {
        return new InstanceKey(cmd.getNamespace(), cmd.getService(), cmd.getInstanceId());
    }

    private Map<String, Instance> byId(String namespace, String service) {
        Map<String, Map<String, Instance>> services = namespaces.get(namespace);
        return services == null ? null : services.get(service);
    }

    private Instance get(InstanceKey key) {
        Map<String, Instance> byId = byId(key.namespace(), key.service());
        return byId == null ? null : byId.get(key.id());
    }

    private Instance remove(InstanceKey key) {
        Map<String, Instance> byId = byId(key.namespace(), key.service());
        if (byId == null) {
            return null;
        }
        Instance removed = byId.remove(key.id());
        if (removed == null) {
            return null;
        }
        if (byId.isEmpty()) {
            Map<String, Map<String, Instance>> services = namespaces.get(key.namespace());
            services.remove(key.service());
            if (services.isEmpty()) {
                namespaces.remove(key.namespace());
            }
        }
        leases.remove(removed.getLeaseId());
        return removed;
    }

    private static Event event(EventType type, long rev, Instance instance, HealthStatus previous) {
        return Event.newBuilder().setType(type).setRevision(rev).setInstance(instance).setPreviousHealth(previous).build();
    }

    private void emit(Event event) {
        List<Event> events = List.of(event);
        for (CatalogListener l : listeners) {
            l.onEvents(events);
        }
    }

    /** Runs {@code reader} against a consistent view under the read lock. */
    public <T> T read(Function<View, T> reader) {
        lock.readLock().lock();
        try {
            return reader.apply(view);
        } finally {
            lock.readLock().unlock();
        }
    }

    public long revision() {
        lock.readLock().lock();
        try {
            return revision;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A consistent copy of the whole state. */
    public CatalogSnapshot snapshot() {
        return read(v -> CatalogSnapshot.newBuilder()
                .setRevision(revision)
                .setNextLeaseId(nextLeaseId)
                .addAllInstances(v.allInstances())
                .addAllMembers(members.values())
                .setAcl(acl.snapshot())
                .addAllAppliedWrites(appliedWrites.snapshot())
                .build());
    }

    /** Replaces the state (snapshot load on this node). */
    public void restore(CatalogSnapshot snapshot) {
        lock.writeLock().lock();
        try {
            resetTo(snapshot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void resetTo(CatalogSnapshot snapshot) {
        namespaces.clear();
        leases.clear();
        members.clear();
        for (Instance parsed : snapshot.getInstancesList()) {
            Instance i = parsed;
            if (i.getNamespace().isEmpty()) {
                // a snapshot written before namespaces: its instances are in the default namespace
                i = i.toBuilder().setNamespace(Namespaces.DEFAULT).build();
            }
            i = SharedStrings.share(i);
            namespaces.computeIfAbsent(i.getNamespace(), k -> new TreeMap<>())
                    .computeIfAbsent(i.getService(), k -> new LinkedHashMap<>()).put(i.getId(), i);
            leases.put(i.getLeaseId(), InstanceKey.of(i));
        }
        for (Member m : snapshot.getMembersList()) {
            members.put(m.getId(), m);
        }
        revision = snapshot.getRevision();
        nextLeaseId = Math.max(1, snapshot.getNextLeaseId());
        acl.resetTo(snapshot.getAcl());
        appliedWrites.resetTo(snapshot.getAppliedWritesList());
        aclListeners.forEach(Runnable::run);
        Collection<Instance> all = view.allInstances();
        for (CatalogListener l : listeners) {
            l.onReset(all, revision);
        }
    }

    private final View view = new View();

    /** Read-only access, valid only inside {@link #read}. */
    public final class View {
        private View() {
        }

        public long revision() {
            return revision;
        }

        /** The instances of {@code service} in {@code namespace} (a name, not {@link Namespaces#ALL}). */
        public Collection<Instance> instances(String namespace, String service) {
            Map<String, Instance> byId = byId(namespace, service);
            return byId == null ? List.of() : List.copyOf(byId.values());
        }

        public Instance instance(InstanceKey key) {
            return get(key);
        }

        public Instance instanceByLease(long leaseId) {
            InstanceKey key = leases.get(leaseId);
            return key == null ? null : get(key);
        }

        /** The services of {@code namespace} by name, with their instances. */
        public Map<String, Collection<Instance>> services(String namespace) {
            Map<String, Collection<Instance>> out = new LinkedHashMap<>();
            namespaces.getOrDefault(namespace, Map.of()).forEach((k, v) -> out.put(k, List.copyOf(v.values())));
            return out;
        }

        /** The namespaces that hold at least one instance, by name. */
        public List<String> namespaces() {
            return List.copyOf(namespaces.keySet());
        }

        /** How many services there are, in every namespace. */
        public int serviceCount() {
            int n = 0;
            for (Map<String, Map<String, Instance>> services : namespaces.values()) {
                n += services.size();
            }
            return n;
        }

        /** Every instance of {@code namespace}, by service. */
        public List<Instance> namespaceInstances(String namespace) {
            List<Instance> out = new ArrayList<>();
            namespaces.getOrDefault(namespace, Map.of()).values().forEach(m -> out.addAll(m.values()));
            return out;
        }

        /** Every instance, by namespace and service. */
        public List<Instance> allInstances() {
            List<Instance> out = new ArrayList<>();
            namespaces.values().forEach(services -> services.values().forEach(m -> out.addAll(m.values())));
            return out;
        }

        public List<Member> members() {
            return List.copyOf(members.values());
        }
    }
}
