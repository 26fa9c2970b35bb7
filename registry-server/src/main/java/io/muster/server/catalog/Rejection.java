package io.muster.server.catalog;

import java.util.Objects;

/**
 * Why a command was refused: a value, the same on every replica that applied the same log.
 *
 * @param kind    how a caller should react (maps to a gRPC code at the API)
 * @param reason  a short, bounded label for metrics ({@code muster_apply_rejected_total{reason}})
 * @param message {@code field: value (expected: ...)}, for the caller
 */
public record Rejection(Kind kind, Reason reason, String message) {

    /** The caller's mistake ({@code INVALID_ARGUMENT}) or a state the command does not fit ({@code FAILED_PRECONDITION}). */
    public enum Kind {
        INVALID_ARGUMENT, FAILED_PRECONDITION,
        /** The command names something that does not exist ({@code NOT_FOUND}). */
        NOT_FOUND
    }

    /** Every label a rejection can carry; a closed set, so the metric's cardinality is bounded. */
    public enum Reason {
        /** A request field outside the apply path (report, watch position, ...). */
        INVALID_REQUEST("invalid_request"),
        INVALID_INSTANCE("invalid_instance"),
        /** A deregister or health change naming an invalid service or instance id. */
        INVALID_KEY("invalid_key"),
        INVALID_LEASE("invalid_lease"),
        INVALID_HEALTH("invalid_health"),
        INVALID_MEMBER("invalid_member"),
        INVALID_RESTORE("invalid_restore"),
        RESTORE_NOT_EMPTY("restore_not_empty"),
        NESTED_BATCH("nested_batch"),
        /** A maintenance change with an invalid key, flag or reason. */
        INVALID_MAINTENANCE("invalid_maintenance"),
        /** A maintenance change for an instance that is not registered. */
        UNKNOWN_INSTANCE("unknown_instance"),
        /** An ACL command breaking a rule of {@link AclRules} (names, prefixes, sizes). */
        INVALID_ACL("invalid_acl"),
        /** An ACL command the ACL state does not fit (a name taken, a policy unknown or in use, bootstrapped already). */
        ACL_CONFLICT("acl_conflict"),
        NO_OPERATION("no_operation");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public Rejection {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    public static Rejection invalid(Reason reason, String message) {
        return new Rejection(Kind.INVALID_ARGUMENT, reason, message);
    }

    /** The same refusal under another label (a rule shared by several operations). */
    public Rejection withReason(Reason other) {
        return other == reason ? this : new Rejection(kind, other, message);
    }
}
