package io.muster.server.catalog;

import io.muster.api.v1.Access;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Rule;
import io.muster.api.v1.StoredToken;
import io.muster.api.v1.Token;
import java.util.HashSet;
import java.util.Set;

/**
 * The rules of ACL names and sizes, used by the API before proposing and by the catalog on every
 * ACL command it applies (so a command that slipped past one member's API is rejected the same way
 * on every replica). Each check throws {@link CommandRejectedException} with {@code field: value
 * (expected: ...)}.
 */
public final class AclRules {

    /** The policy the bootstrap token holds: every rule. It can be neither changed nor deleted. */
    public static final String GLOBAL_MANAGEMENT = "global-management";
    public static final String POLICY_NAME_RULE = "1-64 chars of [A-Za-z0-9_.-], starting with a letter or digit";
    public static final String PREFIX_RULE = "empty (every service) or 1-64 chars of [a-z0-9.-] starting with [a-z0-9]";
    public static final String ACCESSOR_RULE = "32 hex chars [0-9a-f]";
    public static final int MAX_DESCRIPTION_CHARS = 256;
    public static final int MAX_RULES = 64;
    public static final int MAX_TOKEN_POLICIES = 16;
    public static final int MAX_POLICIES = 1024;
    public static final int MAX_TOKENS = 10_000;
    public static final int SALT_BYTES = 16;
    public static final int HASH_BYTES = 32;

    private AclRules() {
    }

    public static String policyName(String field, String name) {
        if (name == null || name.length() > 64 || !Rules.isMemberId(name)) {
            throw invalid(field, "'" + name + "'", POLICY_NAME_RULE);
        }
        return name;
    }

    /** A service-name prefix: what a service name may start with. */
    public static String prefix(String field, String prefix) {
        if (prefix.isEmpty()) {
            return prefix;
        }
        boolean ok = prefix.length() <= 64 && lowerAlnum(prefix.charAt(0));
        for (int i = 1; ok && i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            ok = lowerAlnum(c) || c == '.' || c == '-';
        }
        if (!ok) {
            throw invalid(field, "'" + prefix + "'", PREFIX_RULE);
        }
        return prefix;
    }

    public static String accessorId(String field, String id) {
        if (!isAccessorId(id)) {
            throw invalid(field, "'" + id + "'", ACCESSOR_RULE);
        }
        return id;
    }

    static boolean isAccessorId(String id) {
        if (id == null || id.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    public static String description(String field, String description) {
        if (description.length() > MAX_DESCRIPTION_CHARS) {
            throw invalid(field, description.length() + " chars", "at most " + MAX_DESCRIPTION_CHARS);
        }
        return description;
    }

    /** A policy as it may be stored. */
    public static Policy policy(String field, Policy p) {
        policyName(field + ".name", p.getName());
        description(field + ".description", p.getDescription());
        if (p.getRulesCount() < 1 || p.getRulesCount() > MAX_RULES) {
            throw invalid(field + ".rules", p.getRulesCount() + " rules", "1-" + MAX_RULES);
        }
        for (int i = 0; i < p.getRulesCount(); i++) {
            Rule r = p.getRules(i);
            String rf = field + ".rules[" + i + "]";
            if (r.getAccess() != Access.READ && r.getAccess() != Access.WRITE && r.getAccess() != Access.OPERATOR) {
                throw invalid(rf + ".access", r.getAccess(), "READ, WRITE or OPERATOR");
            }
            if (r.getAccess() == Access.OPERATOR && !r.getServicePrefix().isEmpty()) {
                throw invalid(rf + ".service_prefix", "'" + r.getServicePrefix() + "'", "empty: an OPERATOR rule covers the cluster, not services");
            }
            prefix(rf + ".service_prefix", r.getServicePrefix());
            if (r.getAccess() == Access.OPERATOR && !r.getNamespace().isEmpty()) {
                throw invalid(rf + ".namespace", "'" + r.getNamespace() + "'", "empty: an OPERATOR rule covers the cluster, not a namespace");
            }
            if (!Namespaces.ALL.equals(r.getNamespace()) && !r.getNamespace().isEmpty() && !Namespaces.isName(r.getNamespace())) {
                throw invalid(rf + ".namespace", "'" + r.getNamespace() + "'", Namespaces.RULE_OR_ALL);
            }
        }
        return p;
    }

    /** The token fields a request names: its description and 1-16 distinct valid policy names. */
    public static void tokenRequest(String field, String description, java.util.List<String> policies) {
        description(field + ".description", description);
        if (policies.isEmpty() || policies.size() > MAX_TOKEN_POLICIES) {
            throw invalid(field + ".policies", policies.size() + " policies", "1-" + MAX_TOKEN_POLICIES);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < policies.size(); i++) {
            policyName(field + ".policies[" + i + "]", policies.get(i));
            if (!seen.add(policies.get(i))) {
                throw invalid(field + ".policies[" + i + "]", "'" + policies.get(i) + "'", "each policy once");
            }
        }
    }

    /** A token as it may be stored: a valid accessor, a salt and hash of the right sizes, valid policy names. */
    static StoredToken storedToken(String field, StoredToken t) {
        if (!t.hasToken()) {
            throw invalid(field + ".token", "missing", "a token");
        }
        Token token = t.getToken();
        accessorId(field + ".token.accessor_id", token.getAccessorId());
        if (!token.getBootstrap()) {
            tokenRequest(field + ".token", token.getDescription(), token.getPoliciesList());
        }
        if (t.getSalt().size() != SALT_BYTES) {
            throw invalid(field + ".salt", t.getSalt().size() + " bytes", SALT_BYTES + " bytes");
        }
        if (t.getSecretHash().size() != HASH_BYTES) {
            throw invalid(field + ".secret_hash", t.getSecretHash().size() + " bytes", HASH_BYTES + " bytes (SHA-256)");
        }
        Rules.range(field + ".token.created_at_ms", token.getCreatedAtMs(), 0, Long.MAX_VALUE);
        return t;
    }

    private static boolean lowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    static CommandRejectedException invalid(String field, Object value, String expected) {
        return new CommandRejectedException(Rejection.invalid(Rejection.Reason.INVALID_ACL, Rules.message(field, value, expected)));
    }

    static CommandRejectedException conflict(String message) {
        return new CommandRejectedException(new Rejection(Rejection.Kind.FAILED_PRECONDITION, Rejection.Reason.ACL_CONFLICT, message));
    }
}
