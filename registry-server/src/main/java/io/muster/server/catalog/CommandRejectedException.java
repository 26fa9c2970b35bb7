package io.muster.server.catalog;

/**
 * A command or request broke a rule of the model. A value carried as an exception: it has no stack
 * trace (it is thrown on every call's event loop and on the apply thread, and is not a bug).
 */
public final class CommandRejectedException extends RuntimeException {

    private final transient Rejection rejection;

    public CommandRejectedException(Rejection rejection) {
        super(rejection.message(), null, false, false);
        this.rejection = rejection;
    }

    public Rejection rejection() {
        return rejection;
    }
}
