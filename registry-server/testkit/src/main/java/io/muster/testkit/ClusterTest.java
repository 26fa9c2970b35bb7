package io.muster.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Suite tag {@value #TAG}: real Raft members or real servers inside the test JVM (127.0.0.1,
 * ephemeral ports, temp dirs, Awaitility). {@code mvn verify} runs these.
 * Every test class carries exactly one of {@link UnitTest}, {@link ClusterTest}, {@link ProcessTest}
 * ({@link OneSuiteTagPerTest} fails a test that does not).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(ClusterTest.TAG)
public @interface ClusterTest {
    String TAG = "cluster";
}
