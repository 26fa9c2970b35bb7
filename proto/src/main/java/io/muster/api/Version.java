package io.muster.api;

/** The Muster release, as members report it ({@code Cluster.Status}) and the programs print it ({@code --version}). */
public final class Version {

    /** Keep equal to the Maven project version without {@code -SNAPSHOT}. */
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
