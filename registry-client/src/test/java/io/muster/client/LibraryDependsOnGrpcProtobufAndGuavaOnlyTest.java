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
 * the pom) carries no SLF4J, no logging backend and no CLI framework: the library logs through the
 * JDK's System.Logger, and applications pick their own backend. The enforcer's bannedDependencies
 * rule checks the same at validate time.
 */
@UnitTest
class LibraryDependsOnGrpcProtobufAndGuavaOnlyTest {

    @Test
    void runtimeClasspathHasNoSlf4jNorLogbackNorPicocli() throws IOException {
        Path file = Path.of("target", "runtime-classpath.txt");
        assertThat(file).as("written in generate-test-resources").exists();
        List<String> jars = Arrays.stream(Files.readString(file).trim().split(java.io.File.pathSeparator))
                .map(p -> Path.of(p).getFileName().toString()).toList();
        assertThat(jars).anyMatch(j -> j.startsWith("grpc-api-")).anyMatch(j -> j.startsWith("protobuf-java-"))
                .anyMatch(j -> j.startsWith("guava-"));
        assertThat(jars).noneMatch(j -> j.startsWith("slf4j-")).noneMatch(j -> j.startsWith("logback-")).noneMatch(j -> j.startsWith("picocli-"));
    }
}
