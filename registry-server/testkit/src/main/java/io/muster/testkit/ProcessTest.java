package io.muster.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Suite tag {@value #TAG}: child JVMs (registry members, the gateway), killed with SIGKILL to
 * test crashes. {@code mvn verify} runs these.
 * Every test class carries exactly one of {@link UnitTest}, {@link ClusterTest}, {@link ProcessTest}
 * ({@link OneSuiteTagPerTest} fails a test that does not).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(ProcessTest.TAG)
public @interface ProcessTest {
    String TAG = "process";
}
