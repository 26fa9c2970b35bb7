package io.muster.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.server.Main;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The deploy files (systemd, Docker, Kubernetes, local scripts) cannot run on the build machine, so
 * this checks that every flag they pass to {@code io.muster.server.Main} (directly or through the
 * distribution's {@code muster-server} launcher) exists, and that the example YAML loads.
 */
@UnitTest
class DeployFilesUseRealFlagsTest {

    static final Path DEPLOY = Path.of("..", "deploy");
    static final Pattern FLAG = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");

    static Set<String> serverFlags() {
        return new CommandLine(new Main()).getCommandSpec().options().stream()
                .flatMap(o -> Stream.of(o.names())).collect(Collectors.toSet());
    }

    /** The server's main class or its launcher (bin/muster-server of the distribution), as a whole word. */
    static final Pattern SERVER = Pattern.compile("(?<![\\w.-])(?:io\\.muster\\.server\\.Main|muster-server)(?![\\w.-])");
    /** Where a server command ends at the latest: the next main class or launcher of any application. */
    static final Pattern NEXT_COMMAND = Pattern.compile("io\\.muster\\.|(?<![\\w.-])muster-(?:server|gateway|demo)(?![\\w.-])|bin/muster(?![\\w.-])");

    /** Flags following the server's main class or launcher in the same command (until the next command or blank line). */
    static Set<String> flagsUsedWithServerMain(String text) {
        Set<String> out = new TreeSet<>();
        String joined = text.replace("\\\n", " ");
        Matcher server = SERVER.matcher(joined);
        while (server.find()) {
            Matcher next = NEXT_COMMAND.matcher(joined);
            int end = next.find(server.end()) ? next.start() : joined.length();
            String tail = joined.substring(server.end(), end);
            int blank = tail.indexOf("\n\n");
            if (blank > 0) {
                tail = tail.substring(0, blank);
            }
            Matcher m = FLAG.matcher(tail);
            while (m.find()) {
                out.add("--" + m.group(1));
            }
        }
        return out;
    }

    @Test
    void everyServerFlagInTheDeployFilesExists() throws IOException {
        Set<String> known = serverFlags();
        List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        Set<String> used = new TreeSet<>();
        for (Path f : files) {
            Set<String> flags = flagsUsedWithServerMain(Files.readString(f));
            assertThat(known).as("flags of io.muster.server.Main used in %s", f).containsAll(flags);
            used.addAll(flags);
        }
        // the check must have found the real commands
        assertThat(used).contains("--id", "--raft", "--grpc", "--peers", "--data-dir", "--config", "--metrics-port");
    }

    @Test
    void exampleYamlLoadsIntoAValidConfig() throws Exception {
        FileConfig c = FileConfig.load(DEPLOY.resolve("systemd/registry.yaml.example"));
        assertThat(c.id()).isEqualTo("n1");
        assertThat(c.peers()).hasSize(3).allSatisfy(PeerSpec::parse);
        new PeerSpec(c.id(), c.raft(), c.grpc(), c.peer());
    }

    @Test
    void unknownYamlKeyIsRejectedWithItsLine() throws IOException {
        Path bad = Files.createTempFile(Path.of("target"), "bad", ".yaml");
        Files.writeString(bad, "id: n1\nraft: 127.0.0.1:7001\nelection-timeout: 5\n");
        try {
            FileConfig.load(bad);
            throw new AssertionError("accepted an unknown key");
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).contains("line 3, column", "unknown key 'election-timeout'", "known keys", "election-timeout-ms");
        } finally {
            Files.delete(bad);
        }
    }
}
