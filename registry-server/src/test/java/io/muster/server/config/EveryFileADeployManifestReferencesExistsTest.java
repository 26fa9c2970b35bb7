package io.muster.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deploy manifests cannot run on the build machine, so a mount of a file that is not in the
 * repository (compose once mounted a {@code gateway.yaml} that did not exist) is only found by a
 * user. This reads every manifest under {@code deploy/} the way its tool would and checks that each
 * repository file it mounts, copies, launches or names exists:
 * <ul>
 *   <li>compose: bind-mounted host paths, {@code env_file}, build context, declared named volumes;</li>
 *   <li>Kubernetes: every {@code configMap} volume names a ConfigMap defined under {@code deploy/k8s},
 *       every volume mount a volume of its pod;</li>
 *   <li>Dockerfile: {@code COPY}/{@code ADD} sources (the build context is the repository root); a
 *       {@code <module>/target/<artifact>-*.jar} must be a module whose pom builds that artifact;</li>
 *   <li>systemd: every {@code /etc/muster/X} a unit reads has an example {@code deploy/systemd/X.example};</li>
 *   <li>scripts: {@code $ROOT/...} paths and the modules {@code run.sh} launches;</li>
 *   <li>everywhere: every {@code io.muster...} main class and every repository path a comment names.</li>
 * </ul>
 */
@UnitTest
class EveryFileADeployManifestReferencesExistsTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DEPLOY = ROOT.resolve("deploy");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Pattern MAIN_CLASS = Pattern.compile("\\bio\\.muster(?:\\.[a-z][a-z0-9]*)+\\.[A-Z]\\w*");
    static final String TOP = "(?:deploy|gateway|registry-server|registry-client|proto|bench|docs)/[\\w./-]*\\w";
    /** A repository path in any text (a comment, a COPY, an argument). */
    static final Pattern REPO_PATH = Pattern.compile("(?<![\\w/$.-])(" + TOP + ")");
    /** {@code $ROOT/<repo path>} in a script ({@code $ROOT/run} is state the script creates, not a repo path). */
    static final Pattern ROOT_PATH = Pattern.compile("\\$ROOT/(" + TOP + ")");
    /** The module argument of run.sh's {@code cp_of module} and {@code start name main-class module}. */
    static final Pattern RUN_MODULE = Pattern.compile("(?m)(?:cp_of|^\\s*start \\S+ \\S+) \"?([\\w/-]+)\"?");

    static List<Path> deployFiles() throws IOException {
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    static boolean isCompose(Path f) {
        return f.getFileName().toString().matches("(docker-)?compose.*\\.ya?ml");
    }

    static boolean isK8s(Path f) {
        return f.startsWith(DEPLOY.resolve("k8s"));
    }

    /** Every missing reference, as "file: what", so one run lists them all. */
    static List<String> missing() throws IOException {
        List<String> out = new ArrayList<>();
        List<JsonNode> k8sDocs = new ArrayList<>();
        for (Path f : deployFiles()) {
            String text = Files.readString(f);
            String name = f.getFileName().toString();
            String rel = ROOT.relativize(f).toString();
            if (isCompose(f)) {
                compose(f, YAML.readTree(text), out);
            } else if (isK8s(f)) {
                try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
                    it.readAll().stream().filter(d -> d != null && !d.isNull()).forEach(k8sDocs::add);
                }
            } else if (name.equals("Dockerfile")) {
                dockerfile(rel, text, out);
            } else if (name.endsWith(".service")) {
                Matcher m = Pattern.compile("/etc/muster/([\\w.-]*\\w)").matcher(text);
                while (m.find()) {
                    requireFile(rel, "deploy/systemd/" + m.group(1) + ".example", out);
                }
            }
            Matcher root = ROOT_PATH.matcher(text);
            while (root.find()) {
                requireRepoPath(rel, root.group(1), out);
            }
            if (name.endsWith(".sh")) {
                Matcher mod = RUN_MODULE.matcher(text);
                while (mod.find()) {
                    requireFile(rel, mod.group(1) + "/pom.xml", out);
                }
            }
            Matcher cls = MAIN_CLASS.matcher(text);
            while (cls.find()) {
                requireClass(rel, cls.group(), out);
            }
            Matcher path = REPO_PATH.matcher(text);
            while (path.find()) {
                requireRepoPath(rel, path.group(1), out);
            }
        }
        kubernetes(k8sDocs, out);
        return out;
    }

    static void compose(Path f, JsonNode doc, List<String> out) {
        String rel = ROOT.relativize(f).toString();
        Path dir = f.getParent();
        Set<String> named = new HashSet<>();
        doc.path("volumes").fieldNames().forEachRemaining(named::add);
        doc.path("services").fields().forEachRemaining(svc -> {
            JsonNode s = svc.getValue();
            for (JsonNode v : s.path("volumes")) {
                String source = v.isTextual() ? v.asText().split(":")[0] : v.path("source").asText();
                if (source.startsWith(".") || source.startsWith("/")) {
                    // a host path: relative to the compose file; an absolute one is the host's business
                    if (!source.startsWith("/") && !Files.exists(dir.resolve(source))) {
                        out.add(rel + ": service " + svc.getKey() + " mounts " + source + " (no " + ROOT.relativize(dir.resolve(source).normalize()) + ")");
                    }
                } else if (!named.contains(source)) {
                    out.add(rel + ": service " + svc.getKey() + " mounts undeclared volume " + source);
                }
            }
            for (JsonNode e : s.path("env_file").isArray() ? s.path("env_file") : List.of(s.path("env_file"))) {
                if (e.isTextual() && !Files.exists(dir.resolve(e.asText()))) {
                    out.add(rel + ": service " + svc.getKey() + " env_file " + e.asText());
                }
            }
            JsonNode build = s.path("build");
            String context = build.isTextual() ? build.asText() : build.path("context").asText(null);
            if (context != null && !Files.isDirectory(dir.resolve(context))) {
                out.add(rel + ": service " + svc.getKey() + " build context " + context);
            }
        });
    }

    static void dockerfile(String rel, String text, List<String> out) {
        for (String line : text.replace("\\\n", " ").split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length < 3 || !(words[0].equals("COPY") || words[0].equals("ADD"))) {
                continue;
            }
            List<String> args = Stream.of(words).skip(1).filter(w -> !w.startsWith("--")).toList();
            if (Stream.of(words).anyMatch(w -> w.startsWith("--from="))) {
                continue; // from another stage, not the context
            }
            for (String src : args.subList(0, args.size() - 1)) {
                int target = src.indexOf("/target/");
                if (target < 0) {
                    requireGlob(rel, src, out);
                    continue;
                }
                // a build output: the module must exist and build the artifact the glob names
                String module = src.substring(0, target);
                Path pom = ROOT.resolve(module).resolve("pom.xml");
                if (!Files.exists(pom)) {
                    out.add(rel + ": " + words[0] + " " + src + " (no module " + module + ")");
                    continue;
                }
                String file = src.substring(target + "/target/".length());
                if (file.endsWith(".jar")) {
                    String artifact = artifactId(pom);
                    if (!file.startsWith(artifact + "-")) {
                        out.add(rel + ": " + words[0] + " " + src + " (module " + module + " builds " + artifact + ")");
                    }
                }
            }
        }
    }

    static String artifactId(Path pom) {
        try {
            String text = Files.readString(pom);
            Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(text.substring(text.indexOf("</parent>")));
            return m.find() ? m.group(1) : "";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void kubernetes(List<JsonNode> docs, List<String> out) {
        Set<String> configMaps = new TreeSet<>();
        docs.stream().filter(d -> "ConfigMap".equals(d.path("kind").asText()))
                .forEach(d -> configMaps.add(d.path("metadata").path("name").asText()));
        for (JsonNode d : docs) {
            JsonNode spec = d.path("spec").path("template").path("spec");
            if (spec.isMissingNode()) {
                continue;
            }
            String what = "deploy/k8s: " + d.path("kind").asText() + " " + d.path("metadata").path("name").asText();
            Set<String> volumes = new HashSet<>();
            for (JsonNode v : spec.path("volumes")) {
                volumes.add(v.path("name").asText());
                JsonNode cm = v.path("configMap");
                if (!cm.isMissingNode() && !configMaps.contains(cm.path("name").asText())) {
                    out.add(what + " mounts ConfigMap " + cm.path("name").asText() + " (defined: " + configMaps + ")");
                }
            }
            for (JsonNode t : d.path("spec").path("volumeClaimTemplates")) {
                volumes.add(t.path("metadata").path("name").asText());
            }
            for (JsonNode c : spec.path("containers")) {
                for (JsonNode m : c.path("volumeMounts")) {
                    if (!volumes.contains(m.path("name").asText())) {
                        out.add(what + " container " + c.path("name").asText() + " mounts undefined volume " + m.path("name").asText());
                    }
                }
            }
        }
    }

    static void requireFile(String from, String repoPath, List<String> out) {
        if (!Files.exists(ROOT.resolve(repoPath))) {
            out.add(from + ": " + repoPath);
        }
    }

    /** A path under target/ is built, not committed: its module must exist. */
    static void requireRepoPath(String from, String repoPath, List<String> out) {
        int target = repoPath.indexOf("/target");
        if (target >= 0) {
            requireFile(from, repoPath.substring(0, target) + "/pom.xml", out);
        } else {
            requireGlob(from, repoPath, out);
        }
    }

    static void requireGlob(String from, String pattern, List<String> out) {
        if (!pattern.contains("*")) {
            requireFile(from, pattern, out);
            return;
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> s = Files.walk(ROOT)) {
            if (s.noneMatch(p -> m.matches(ROOT.relativize(p)))) {
                out.add(from + ": nothing matches " + pattern);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void requireClass(String from, String className, List<String> out) {
        String file = "src/main/java/" + className.replace('.', '/') + ".java";
        for (String module : List.of("proto", "registry-server", "registry-server/config-yaml", "registry-client",
                "registry-client/cli", "registry-client/demo", "gateway", "bench")) {
            if (Files.exists(ROOT.resolve(module).resolve(file))) {
                return;
            }
        }
        out.add(from + ": class " + className);
    }

    @Test
    void everyFileTheDeployManifestsMountCopyOrNameExists() throws IOException {
        assertThat(missing()).isEmpty();
    }

    @Test
    void theCheckReadsTheRealManifests() throws IOException {
        // a check that parsed nothing would pass: it must see the mounts and copies that exist today
        JsonNode compose = YAML.readTree(DEPLOY.resolve("docker/compose.yaml").toFile());
        assertThat(compose.path("services").path("gateway").path("volumes").get(0).asText())
                .startsWith("./gateway.yaml:");
        List<String> out = new ArrayList<>();
        compose(DEPLOY.resolve("docker/compose.yaml"),
                YAML.readTree("services: {g: {volumes: ['./nope.yaml:/etc/x', 'data:/d']}}\nvolumes: {}\n"), out);
        assertThat(out).hasSize(2);
        out.clear();
        dockerfile("Dockerfile", "COPY gateway/target/muster-nope-*.jar nope/target/x/ deploy/none.yaml /opt/\n", out);
        assertThat(out).hasSize(3);
        out.clear();
        kubernetes(List.of(YAML.readTree("kind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: "
                + "{volumes: [{name: c, configMap: {name: none}}], containers: [{name: x, volumeMounts: [{name: v}]}]}}}")), out);
        assertThat(out).hasSize(2);
        out.clear();
        requireClass("x", "io.muster.server.Main", out);
        requireClass("x", "io.muster.server.Nope", out);
        assertThat(out).containsExactly("x: class io.muster.server.Nope");
    }
}
