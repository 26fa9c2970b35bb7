package io.muster.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.testkit.FreePorts;
import io.muster.testkit.ProcessTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user gets from {@code muster-VERSION.tar.gz}: unpacked into an empty directory (no
 * repository, no Maven), its launchers run, a member started with {@code bin/muster-server} forms a
 * one-member cluster on 127.0.0.1, and {@code bin/muster} reaches it. The layout checks keep
 * {@code lib/*} a classpath whose order does not matter: each artifact once, one Netty, one protobuf,
 * one gRPC, no class in two jars, and every jar each application is built and tested with.
 *
 * <p>Runs after {@code package} (the tarball must exist): {@code mvn verify}.
 */
@ProcessTest
class TheUnpackedTarballRunsAMemberTheCliReachesTest {

    static final Path TARBALL = Path.of(System.getProperty("muster.dist.tarball", "target/muster.tar.gz"));
    static final String VERSION = System.getProperty("muster.dist.version", "");
    static final Path REPO = Path.of(System.getProperty("muster.repo.root", "..")).toAbsolutePath().normalize();
    static final Duration COMMAND_DEADLINE = Duration.ofSeconds(60);
    /** name-version[-classifier].jar; versions start with a digit. */
    static final Pattern JAR = Pattern.compile("(.+?)-(\\d[^-]*(?:-SNAPSHOT)?)(?:-([A-Za-z][\\w.-]*))?\\.jar");

    @TempDir
    static Path tmp;
    static Path home;

    @BeforeAll
    static void unpack() throws Exception {
        assertThat(TARBALL).as("run mvn package first").isRegularFile();
        Path into = Files.createDirectories(tmp.resolve("opt"));
        Result tar = run(List.of("tar", "-xzf", TARBALL.toString(), "-C", into.toString()), Map.of());
        assertThat(tar.code()).as(tar.output()).isZero();
        try (Stream<Path> top = Files.list(into)) {
            assertThat(top.map(p -> p.getFileName().toString())).as("one top directory").containsExactly("muster-" + VERSION);
        }
        home = into.resolve("muster-" + VERSION);
    }

    @Test
    void theLaunchersAreExecutableAndTheExamplesAreThere() throws IOException {
        for (String launcher : List.of("muster", "muster-server", "muster-gateway", "muster-demo")) {
            Path bin = home.resolve("bin").resolve(launcher);
            assertThat(bin).isRegularFile();
            assertThat(Files.getPosixFilePermissions(bin)).as(launcher).contains(
                    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
            assertThat(Files.readString(bin)).as(launcher + " replaces itself with the JVM, so signals reach it")
                    .startsWith("#!/bin/sh").contains("exec \"$JAVA\"");
        }
        assertThat(home.resolve("conf")).isDirectoryContaining("glob:**/registry.yaml.example")
                .isDirectoryContaining("glob:**/gateway.example.yaml").isDirectoryContaining("glob:**/logback.xml")
                .isDirectoryContaining("glob:**/muster-client-logback.xml");
        assertThat(home.resolve("README")).content().contains("Muster " + VERSION);
    }

    @Test
    void libHoldsEachArtifactOnceWithOneNettyProtobufAndGrpcLine() throws IOException {
        Map<String, List<String>> byArtifact = new TreeMap<>();
        Map<String, Set<String>> versionsByLine = new TreeMap<>();
        for (String jar : libJars()) {
            Matcher m = JAR.matcher(jar);
            assertThat(m.matches()).as("lib/%s is name-version.jar", jar).isTrue();
            String artifact = m.group(1);
            // a classifier jar is an artifact of its own (the epoll native library per CPU)
            byArtifact.computeIfAbsent(m.group(3) == null ? artifact : artifact + ":" + m.group(3), k -> new ArrayList<>()).add(jar);
            // netty-tcnative has its own version line (2.0.x); everything else of Netty is one release
            String line = artifact.startsWith("netty-tcnative") ? "netty-tcnative"
                    : artifact.startsWith("netty-") ? "netty"
                    : artifact.startsWith("protobuf-java") ? "protobuf"
                    : artifact.startsWith("grpc-") ? "grpc" : null;
            if (line != null) {
                versionsByLine.computeIfAbsent(line, k -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertThat(byArtifact).allSatisfy((artifact, jars) -> assertThat(jars).as(artifact).hasSize(1));
        assertThat(byArtifact).as("bolt's netty-all would shadow Netty 4.2").doesNotContainKey("netty-all");
        assertThat(byArtifact).as("the native epoll transport for both CPUs a member runs on")
                .containsKeys("netty-transport-native-epoll:linux-x86_64", "netty-transport-native-epoll:linux-aarch_64");
        assertThat(versionsByLine).containsKeys("netty", "protobuf", "grpc")
                .allSatisfy((line, versions) -> assertThat(versions).as(line).hasSize(1));
    }

    @Test
    void noClassIsInTwoJarsSoTheOrderOfLibStarDoesNotMatter() throws IOException {
        Map<String, String> owner = new HashMap<>();
        List<String> twice = new ArrayList<>();
        for (String jar : libJars()) {
            try (ZipFile zip = new ZipFile(home.resolve("lib").resolve(jar).toFile())) {
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")) {
                        String first = owner.putIfAbsent(name, jar);
                        if (first != null) {
                            twice.add(name + " in " + first + " and " + jar);
                        }
                    }
                }
            }
        }
        assertThat(owner).hasSizeGreaterThan(10_000);
        assertThat(twice).isEmpty();
    }

    /**
     * lib/ is one dependency resolution over the four applications; a version mediated differently
     * there than in an application's own build would run that application on jars it was never
     * tested with.
     */
    @Test
    void libHoldsExactlyTheJarsEachApplicationIsBuiltWith() throws IOException {
        Set<String> lib = new TreeSet<>(libJars());
        for (String module : List.of("registry-server", "gateway", "registry-client/cli", "registry-client/demo")) {
            Path classpath = REPO.resolve(module).resolve("target/classpath.txt");
            assertThat(classpath).as("written by mvn package").isRegularFile();
            Set<String> jars = Stream.of(Files.readString(classpath).trim().split(":"))
                    .filter(e -> e.endsWith(".jar")).map(e -> Path.of(e).getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(jars).as(module).hasSizeGreaterThan(5);
            assertThat(lib).as("lib/ against the runtime classpath of " + module).containsAll(jars);
        }
        assertThat(lib).contains("muster-registry-server-" + VERSION + ".jar", "muster-gateway-" + VERSION + ".jar",
                "muster-cli-" + VERSION + ".jar", "muster-demo-" + VERSION + ".jar");
    }

    @Test
    void theCliAndTheServerAnswerHelp() throws Exception {
        Result cli = launch("muster", List.of("--help"));
        assertThat(cli.code()).as(cli.output()).isZero();
        assertThat(cli.output()).contains("Usage: muster", "members")
                .as("logback found its configuration once (else it prints its status report first)").doesNotContain("|-WARN", "|-INFO");
        // the first run wrote the CLI's class-data archive (a training run), which later runs map
        try (Stream<Path> cds = Files.list(tmp.resolve("cds"))) {
            assertThat(cds.map(p -> p.getFileName().toString())).anySatisfy(n -> assertThat(n).endsWith(".jsa"));
        }
        Result server = launch("muster-server", List.of("--help"));
        assertThat(server.code()).as(server.output()).isZero();
        assertThat(server.output()).contains("Usage: muster-server", "--config", "--data-dir");
    }

    @Test
    void aMemberStartedFromTheTarballLeadsAClusterOfOneTheCliReaches() throws Exception {
        int raft = FreePorts.next();
        int grpc = FreePorts.next();
        int peer = FreePorts.next();
        String self = "n1=127.0.0.1:" + raft + "/127.0.0.1:" + grpc + "/127.0.0.1:" + peer;
        Path log = tmp.resolve("n1.log");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/muster-server").toString(),
                "--id", "n1", "--raft", "127.0.0.1:" + raft, "--grpc", "127.0.0.1:" + grpc, "--peer", "127.0.0.1:" + peer,
                "--peers", self, "--data-dir", tmp.resolve("n1-data").toString(), "--election-timeout-ms", "300")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(smallJvm());
        Process member = pb.start();
        try {
            // exec: the launcher's process is the JVM itself, so SIGTERM from systemd or docker reaches it
            await().atMost(Duration.ofSeconds(10)).until(() -> member.info().command().isPresent());
            assertThat(member.info().command().orElseThrow()).endsWith("/java");

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(member.isAlive()).as("member exited; its log: %s", Files.readString(log)).isTrue();
                Result members = launch("muster", List.of("--targets", "127.0.0.1:" + grpc, "members"));
                assertThat(members.code()).as(members.output()).isZero();
                assertThat(members.output()).contains("n1", "127.0.0.1:" + grpc, "leader").doesNotContain("|-WARN");
            });

            member.destroy(); // SIGTERM: the member's graceful stop
            assertThat(member.waitFor(30, TimeUnit.SECONDS)).as("stopped on SIGTERM; log: %s", Files.readString(log)).isTrue();
        } finally {
            if (member.isAlive()) {
                member.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    record Result(int code, String output) {}

    /** The launchers with a small heap: the defaults pre-touch 1 GB, which is not what is tested here. */
    static Map<String, String> smallJvm() {
        return Map.of("MUSTER_HEAP", "128m", "MUSTER_TMPDIR", tmp.resolve("jvm-tmp").toString(),
                "MUSTER_CDS_DIR", tmp.resolve("cds").toString());
    }

    static Result launch(String launcher, List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin").resolve(launcher).toString());
        command.addAll(args);
        return run(command, smallJvm());
    }

    static Result run(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(COMMAND_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(command + " still running after " + COMMAND_DEADLINE + ": " + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out));
    }

    static List<String> libJars() throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("lib"))) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names).allSatisfy(n -> assertThat(n).endsWith(".jar"));
            return names;
        }
    }
}
