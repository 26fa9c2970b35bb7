package io.muster.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Suite tag {@value #TAG}: exact and fast (no Raft member, no child JVM, no waiting on real
 * networks; fake clocks, injected randomness). {@code mvn test} runs these, in under a minute.
 * Every test class carries exactly one of {@link UnitTest}, {@link ClusterTest}, {@link ProcessTest}
 * ({@link OneSuiteTagPerTest} fails a test that does not).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(UnitTest.TAG)
public @interface UnitTest {
    String TAG = "unit";
}
