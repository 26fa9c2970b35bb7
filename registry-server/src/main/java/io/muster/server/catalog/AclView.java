package io.muster.server.catalog;

import com.google.protobuf.ByteString;
import io.muster.api.v1.Access;
import io.muster.api.v1.AclState;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Rule;
import io.muster.api.v1.StoredToken;
import io.muster.api.v1.Token;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable view of the ACL state, published by the apply thread after every ACL change and
 * read without a lock by every call that authenticates. Tokens are looked up by their accessor id
 * and checked by comparing SHA-256(salt || secret) with the stored hash in constant time; the view
 * never holds a secret.
 */
public final class AclView {

    public static final AclView EMPTY = new AclView(false, List.of(), List.of());

    private final boolean bootstrapped;
    private final List<Policy> policies;
    private final List<StoredToken> tokens;
    private final Map<String, StoredToken> byAccessor = new HashMap<>();
    private final Map<String, Principal> principals = new HashMap<>();

    AclView(boolean bootstrapped, Collection<Policy> policies, Collection<StoredToken> tokens) {
        this.bootstrapped = bootstrapped;
        this.policies = List.copyOf(policies);
        this.tokens = List.copyOf(tokens);
        Map<String, Policy> byName = new HashMap<>();
        policies.forEach(p -> byName.put(p.getName(), p));
        for (StoredToken t : tokens) {
            byAccessor.put(t.getToken().getAccessorId(), t);
            principals.put(t.getToken().getAccessorId(), compile(t.getToken(), byName));
        }
    }

    private static Principal compile(Token token, Map<String, Policy> policies) {
        boolean operator = false;
        Set<Principal.Grant> read = new LinkedHashSet<>();
        Set<Principal.Grant> write = new LinkedHashSet<>();
        for (String name : token.getPoliciesList()) {
            Policy p = policies.get(name);
            if (p == null) {
                continue; // the catalog refuses to delete a policy in use: not reached
            }
            // the built-in policy holds every rule, in every namespace, whatever its stored form: one
            // stored before namespaces has no namespace on its rules (which would mean "default")
            boolean everywhere = p.getName().equals(AclRules.GLOBAL_MANAGEMENT);
            for (Rule r : p.getRulesList()) {
                Principal.Grant grant = new Principal.Grant(everywhere ? Namespaces.ALL : r.getNamespace(), r.getServicePrefix());
                if (r.getAccess() == Access.OPERATOR) {
                    operator = true;
                } else if (r.getAccess() == Access.WRITE) {
                    write.add(grant);
                    read.add(grant);
                } else if (r.getAccess() == Access.READ) {
                    read.add(grant);
                }
            }
        }
        return new Principal(token.getAccessorId(), operator, new ArrayList<>(read), new ArrayList<>(write));
    }

    public boolean bootstrapped() {
        return bootstrapped;
    }

    /** Every policy, by name. */
    public List<Policy> policies() {
        return policies;
    }

    /** Every token, by accessor id, without salts or hashes. */
    public List<Token> tokens() {
        return tokens.stream().map(StoredToken::getToken).toList();
    }

    public boolean hasPolicy(String name) {
        return policies.stream().anyMatch(p -> p.getName().equals(name));
    }

    /**
     * The principal of a whole token ({@code <accessor_id>.<secret>}), or null when it is malformed,
     * unknown, or its secret does not match.
     */
    public Principal authenticate(String token) {
        int dot = token.indexOf('.');
        if (dot != 32 || token.length() > 32 + 1 + 128) {
            return null;
        }
        String accessor = token.substring(0, dot);
        StoredToken stored = byAccessor.get(accessor);
        if (stored == null) {
            return null;
        }
        byte[] hash = hash(stored.getSalt(), token.substring(dot + 1));
        return MessageDigest.isEqual(hash, stored.getSecretHash().toByteArray()) ? principals.get(accessor) : null;
    }

    /** The current rules of the token with this accessor id, or null once it is deleted. */
    public Principal principal(String accessorId) {
        return principals.get(accessorId);
    }

    /** SHA-256(salt || secret). */
    public static byte[] hash(ByteString salt, String secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt.toByteArray());
            sha.update(secret.getBytes(StandardCharsets.UTF_8));
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    AclState toProto() {
        return AclState.newBuilder().setBootstrapped(bootstrapped).addAllPolicies(policies).addAllTokens(tokens).build();
    }
}
