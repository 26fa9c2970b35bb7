package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package picture of {@code docs/architecture.md}, read from the server's sources: which package
 * imports which, that the graph has no cycle, and that jraft ({@code com.alipay}) is imported only
 * by {@code raft}. A new arrow fails here until the picture (and this table) says it is intended.
 */
@UnitTest
class PackageDependenciesPointOneWayTest {

    private static final Path SOURCES = Path.of("src/main/java/io/muster/server");
    private static final Pattern OUR_IMPORT = Pattern.compile("^import (?:static )?io\\.muster\\.server\\.([a-z.]+)\\.[A-Z]", Pattern.MULTILINE);
    private static final Pattern JRAFT = Pattern.compile("^import (?:static )?com\\.alipay\\.", Pattern.MULTILINE);

    /** The allowed arrows: package → the packages it may import ({@code RegistryNode}/{@code Main} may import all). */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("api", Set.of("catalog", "config", "health", "lease", "peer", "raft", "watch")),
            Map.entry("metrics", Set.of("catalog", "health", "lease", "raft", "watch")),
            Map.entry("health", Set.of("catalog", "peer")),
            Map.entry("health.probe", Set.of("health")),
            Map.entry("peer", Set.of("catalog", "config", "raft")),
            Map.entry("lease", Set.of("catalog", "raft")),
            Map.entry("raft", Set.of("catalog", "config", "tls")),
            Map.entry("watch", Set.of("catalog")),
            Map.entry("config", Set.of("catalog")),
            Map.entry("http", Set.of()),
            Map.entry("catalog", Set.of()),
            Map.entry("tls", Set.of()));

    static final Map<String, Set<String>> imports = new TreeMap<>();
    static final List<String> jraftOutsideRaft = new ArrayList<>();

    @BeforeAll
    static void readSources() throws IOException {
        assertThat(SOURCES).as("run from the registry-server module").isDirectory();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path dir = SOURCES.relativize(file.getParent());
                String pkg = dir.toString().isEmpty() ? "" : dir.toString().replace('/', '.');
                String text = Files.readString(file);
                Set<String> of = imports.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = OUR_IMPORT.matcher(text);
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        of.add(m.group(1));
                    }
                }
                if (!pkg.equals("raft") && JRAFT.matcher(text).find()) {
                    jraftOutsideRaft.add(SOURCES.relativize(file).toString());
                }
            }
        }
    }

    @Test
    void everyPackageImportsOnlyWhatThePictureAllows() {
        imports.forEach((pkg, deps) -> {
            if (pkg.isEmpty() || pkg.equals("logging")) {
                return; // the composition root; logging imports nothing of ours
            }
            assertThat(ALLOWED).as("package %s is not in the picture", pkg).containsKey(pkg);
            assertThat(deps).as("imports of %s", pkg).isSubsetOf(ALLOWED.get(pkg));
        });
        assertThat(imports.getOrDefault("logging", Set.of())).isEmpty();
    }

    @Test
    void thePictureHasNoCycle() {
        for (String start : ALLOWED.keySet()) {
            assertThat(reachable(start)).as("%s reaches itself", start).doesNotContain(start);
        }
    }

    @Test
    void onlyRaftImportsJraft() {
        assertThat(jraftOutsideRaft).isEmpty();
    }

    private static Set<String> reachable(String from) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(ALLOWED.get(from));
        while (!todo.isEmpty()) {
            String next = todo.remove(todo.size() - 1);
            if (seen.add(next)) {
                todo.addAll(ALLOWED.getOrDefault(next, Set.of()));
            }
        }
        return seen;
    }
}
