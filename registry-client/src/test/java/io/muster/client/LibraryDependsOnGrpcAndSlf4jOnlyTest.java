package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The library's resolved runtime classpath (written by the dependency plugin before the tests, see
 * the pom) carries no logging backend and no CLI framework: applications pick their own. The
 * enforcer's bannedDependencies rule checks the same at validate time.
 */
@UnitTest
class LibraryDependsOnGrpcAndSlf4jOnlyTest {

    @Test
    void runtimeClasspathHasNoLogbackNorPicocli() throws IOException {
        Path file = Path.of("target", "runtime-classpath.txt");
        assertThat(file).as("written in generate-test-resources").exists();
        List<String> jars = Arrays.stream(Files.readString(file).trim().split(java.io.File.pathSeparator))
                .map(p -> Path.of(p).getFileName().toString()).toList();
        assertThat(jars).anyMatch(j -> j.startsWith("grpc-api-")).anyMatch(j -> j.startsWith("slf4j-api-"));
        assertThat(jars).noneMatch(j -> j.startsWith("logback-")).noneMatch(j -> j.startsWith("picocli-"));
    }
}
