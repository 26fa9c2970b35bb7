package io.muster.client;

/**
 * A monotonic time source in nanoseconds, like {@link System#nanoTime()}. Injected through
 * {@link RegistryClient.Builder#ticker(Ticker)} so retry budgets and lease timing can be tested
 * with a fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

    /** The system ticker. */
    static Ticker system() {
        return System::nanoTime;
    }

    long nanoTime();
}
