package io.muster.server.catalog;

import io.muster.api.v1.Access;
import io.muster.api.v1.AclState;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Rule;
import io.muster.api.v1.StoredToken;
import io.muster.internal.v1.CreateAclTokenCmd;
import io.muster.internal.v1.DeleteAclPolicyCmd;
import io.muster.internal.v1.DeleteAclTokenCmd;
import io.muster.internal.v1.PutAclPolicyCmd;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ACL part of the replicated state: policies by name, tokens (salted hashes) by accessor id,
 * and whether the cluster is bootstrapped. Changed only by {@link Catalog#apply} under its write
 * lock; every check runs before the first change, so a rejected command changes nothing. After each
 * change a new {@link AclView} is published for lock-free reads.
 */
final class AclTable {

    private final Map<String, Policy> policies = new TreeMap<>();
    private final Map<String, StoredToken> tokens = new TreeMap<>();
    private boolean bootstrapped;
    private volatile AclView view = AclView.EMPTY;

    AclView view() {
        return view;
    }

    static Policy globalManagement() {
        return Policy.newBuilder().setName(AclRules.GLOBAL_MANAGEMENT)
                .setDescription("every rule: created with the bootstrap token")
                .addRules(Rule.newBuilder().setAccess(Access.OPERATOR))
                .addRules(Rule.newBuilder().setAccess(Access.WRITE).setServicePrefix("").setNamespace(Namespaces.ALL))
                .build();
    }

    void createToken(CreateAclTokenCmd cmd) {
        StoredToken t = AclRules.storedToken("create_acl_token.token", cmd.getToken());
        String accessor = t.getToken().getAccessorId();
        if (tokens.containsKey(accessor)) {
            throw AclRules.conflict("create_acl_token: accessor id " + accessor + " exists already");
        }
        if (tokens.size() >= AclRules.MAX_TOKENS) {
            throw AclRules.conflict("create_acl_token: " + tokens.size() + " tokens (limit " + AclRules.MAX_TOKENS + ")");
        }
        if (t.getToken().getBootstrap()) {
            if (bootstrapped) {
                throw AclRules.conflict("bootstrap: the cluster is bootstrapped already (ACL bootstrap happens once; "
                        + "ask an operator for a token)");
            }
            policies.put(AclRules.GLOBAL_MANAGEMENT, globalManagement());
            t = t.toBuilder().setToken(t.getToken().toBuilder().clearPolicies().addPolicies(AclRules.GLOBAL_MANAGEMENT)).build();
            bootstrapped = true;
        } else {
            for (String p : t.getToken().getPoliciesList()) {
                if (!policies.containsKey(p)) {
                    throw AclRules.conflict("create_acl_token.token.policies: policy '" + p + "' does not exist");
                }
            }
        }
        tokens.put(accessor, t);
        publish();
    }

    boolean deleteToken(DeleteAclTokenCmd cmd) {
        AclRules.accessorId("delete_acl_token.accessor_id", cmd.getAccessorId());
        boolean found = tokens.remove(cmd.getAccessorId()) != null;
        if (found) {
            publish();
        }
        return found;
    }

    void putPolicy(PutAclPolicyCmd cmd) {
        String op = cmd.getUpdate() ? "update_policy" : "create_policy";
        if (!cmd.hasPolicy()) {
            throw AclRules.invalid(op + ".policy", "missing", "a policy");
        }
        Policy p = AclRules.policy(op + ".policy", cmd.getPolicy());
        if (p.getName().equals(AclRules.GLOBAL_MANAGEMENT)) {
            throw AclRules.conflict(op + ": policy '" + AclRules.GLOBAL_MANAGEMENT + "' is built in and cannot be changed");
        }
        boolean exists = policies.containsKey(p.getName());
        if (cmd.getUpdate() && !exists) {
            throw AclRules.conflict(op + ": policy '" + p.getName() + "' does not exist");
        }
        if (!cmd.getUpdate() && exists) {
            throw AclRules.conflict(op + ": policy '" + p.getName() + "' exists already (update it instead)");
        }
        if (!exists && policies.size() >= AclRules.MAX_POLICIES) {
            throw AclRules.conflict(op + ": " + policies.size() + " policies (limit " + AclRules.MAX_POLICIES + ")");
        }
        policies.put(p.getName(), p);
        publish();
    }

    boolean deletePolicy(DeleteAclPolicyCmd cmd) {
        String name = AclRules.policyName("delete_policy.name", cmd.getName());
        if (name.equals(AclRules.GLOBAL_MANAGEMENT)) {
            throw AclRules.conflict("delete_policy: policy '" + name + "' is built in and cannot be deleted");
        }
        if (!policies.containsKey(name)) {
            return false;
        }
        long users = tokens.values().stream().filter(t -> t.getToken().getPoliciesList().contains(name)).count();
        if (users > 0) {
            throw AclRules.conflict("delete_policy: policy '" + name + "' is held by " + users
                    + " token(s) (delete those tokens first)");
        }
        policies.remove(name);
        publish();
        return true;
    }

    AclState snapshot() {
        return view.toProto();
    }

    void resetTo(AclState state) {
        policies.clear();
        tokens.clear();
        state.getPoliciesList().forEach(p -> policies.put(p.getName(), p));
        state.getTokensList().forEach(t -> tokens.put(t.getToken().getAccessorId(), t));
        bootstrapped = state.getBootstrapped();
        publish();
    }

    private void publish() {
        view = new AclView(bootstrapped, policies.values(), tokens.values());
    }
}
