package io.muster.robustness;

import java.util.Map;
import java.util.Objects;

/**
 * One recorded client operation on one service: when it was invoked and when its answer came (both
 * {@link System#nanoTime()}), and what the answer was. A write whose answer never came, or was an
 * error, has an {@link Outcome#UNKNOWN} outcome: it may or may not have been applied (the checker
 * lets it take effect at any point after its invocation, or never observably).
 *
 * @param client   which client thread issued it
 * @param member   for a LOCAL read, the member asked; empty otherwise
 * @param id       the instance id written (register, deregister); empty for a read
 * @param port     the port a register wrote (every register of the suite writes a fresh port, so a
 *                 read names the write it saw)
 * @param observed what a read returned: instance id to port; empty for a write
 */
public record Op(int client, Kind kind, String service, String member, String id, int port,
                 long invokedNanos, long completedNanos, Outcome outcome, Map<String, Integer> observed) {

    /** What the client asked for. */
    public enum Kind { REGISTER, DEREGISTER, DISCOVER, DISCOVER_LOCAL }

    /** How it ended. */
    public enum Outcome { OK, UNKNOWN, FAILED }

    public Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        observed = Map.copyOf(observed);
        if (completedNanos < invokedNanos) {
            throw new IllegalArgumentException("completed before invoked: " + invokedNanos + " > " + completedNanos);
        }
    }

    public static Op register(int client, String service, String id, int port, long invoked, long completed, Outcome outcome) {
        return new Op(client, Kind.REGISTER, service, "", id, port, invoked, completed, outcome, Map.of());
    }

    public static Op deregister(int client, String service, String id, long invoked, long completed, Outcome outcome) {
        return new Op(client, Kind.DEREGISTER, service, "", id, 0, invoked, completed, outcome, Map.of());
    }

    public static Op discover(int client, String service, long invoked, long completed, Map<String, Integer> observed) {
        return new Op(client, Kind.DISCOVER, service, "", "", 0, invoked, completed, Outcome.OK, observed);
    }

    public boolean isWrite() {
        return kind == Kind.REGISTER || kind == Kind.DEREGISTER;
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case REGISTER -> "register(" + id + ":" + port + ")";
            case DEREGISTER -> "deregister(" + id + ")";
            case DISCOVER, DISCOVER_LOCAL -> kind.name().toLowerCase(java.util.Locale.ROOT) + (member.isEmpty() ? "" : "@" + member)
                    + " -> " + new java.util.TreeMap<>(observed);
        };
        return "c" + client + " " + service + " " + what + " " + outcome + " [" + invokedNanos / 1_000_000 + ".."
                + (completedNanos == Long.MAX_VALUE ? "?" : completedNanos / 1_000_000) + " ms]";
    }
}
