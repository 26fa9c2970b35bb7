package io.muster.testkit;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that carries none, or more than one, of the suite tags {@code unit}, {@code cluster},
 * {@code process}. {@code mvn test} selects {@code unit} and {@code mvn verify} adds
 * {@code cluster | process}: an untagged test would silently run in neither, a test with two tags
 * twice. The surefire set-up of the root pom selects untagged tests into {@code mvn test} and turns on
 * JUnit's extension auto-detection, which finds this class through
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}, so such a test fails there
 * with this message instead of vanishing.
 */
public final class OneSuiteTagPerTest implements BeforeEachCallback {

    static final Set<String> SUITES = Set.of(UnitTest.TAG, ClusterTest.TAG, ProcessTest.TAG);

    @Override
    public void beforeEach(ExtensionContext context) {
        Set<String> suites = new TreeSet<>(context.getTags());
        suites.retainAll(SUITES);
        if (suites.size() != 1) {
            throw new IllegalStateException(context.getRequiredTestClass().getName() + " has suite tags " + suites
                    + " (expected: exactly one; annotate the class with @UnitTest, @ClusterTest or @ProcessTest of io.muster.testkit)");
        }
    }
}
