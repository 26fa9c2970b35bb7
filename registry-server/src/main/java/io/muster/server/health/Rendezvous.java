package io.muster.server.health;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Optional;

/**
 * Rendezvous (highest-random-weight) hashing: a key belongs to the member with the highest
 * {@code weight(member, key)}. Every member computes the same owner from the same member set
 * without coordination; when a member leaves, only its keys move (each to the member with the next
 * highest weight), and when one joins it takes about {@code 1/n} of the keys from the others.
 *
 * <p>The hash is fixed (FNV-1a 64 then a SplitMix64 finalizer), so owners are the same on every JVM
 * and across versions.
 */
public final class Rendezvous {

    private Rendezvous() {
    }

    /** The owner of {@code key} among {@code members}, empty if there are none. */
    public static Optional<String> owner(String key, Collection<String> members) {
        long k = hash(key);
        String best = null;
        long bestWeight = 0;
        for (String m : members) {
            long w = weight(k, m);
            // ties (practically impossible) are broken by name so every member agrees
            if (best == null || Long.compareUnsigned(w, bestWeight) > 0
                    || (w == bestWeight && m.compareTo(best) < 0)) {
                best = m;
                bestWeight = w;
            }
        }
        return Optional.ofNullable(best);
    }

    static long weight(long keyHash, String member) {
        return mix(keyHash ^ mix(hash(member)));
    }

    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 finalizer: spreads FNV's weak low bits over the whole word. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
