package io.muster.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.client.cli.MusterCli;
import io.muster.client.demo.DemoService;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every flag the deploy files pass to the gateway, the demo service and the CLI (by main class or
 * through the distribution's launchers {@code muster-gateway}, {@code muster-demo}, {@code bin/muster})
 * exists (the registry's flags are checked in the server module). The files cannot all run here (no Docker,
 * no Kubernetes), so this is what keeps them honest.
 */
@UnitTest
class DeployFilesUseRealGatewayAndClientFlagsTest {

    static final Path DEPLOY = Path.of("..", "deploy");
    static final Pattern FLAG = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");

    static Set<String> flagsOf(Object command) {
        Set<String> names = new java.util.HashSet<>();
        addFlags(new CommandLine(command), names);
        return names;
    }

    /** The options of a command and of its subcommands at every depth ({@code muster cert create-ca --dir}). */
    private static void addFlags(CommandLine cl, Set<String> names) {
        cl.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
        cl.getSubcommands().values().forEach(sub -> addFlags(sub, names));
    }

    /** The main class or its launcher in the distribution's bin/, as a whole word. */
    static Pattern command(String mainClass, String launcher) {
        return Pattern.compile("(?<![\\w.-])(?:" + Pattern.quote(mainClass) + "|" + launcher + ")(?![\\w.-])");
    }

    /** Flags following the main class or launcher on the same line (continuation lines joined). */
    static Set<String> flagsAfter(String text, Pattern command) {
        Set<String> out = new TreeSet<>();
        String joined = text.replace("\\\n", " ");
        Matcher at = command.matcher(joined);
        while (at.find()) {
            String tail = joined.substring(at.end());
            int end = tail.indexOf('\n');
            Matcher m = FLAG.matcher(end < 0 ? tail : tail.substring(0, end));
            while (m.find()) {
                out.add("--" + m.group(1));
            }
        }
        return out;
    }

    @Test
    void flagsInDeployFilesExist() throws IOException {
        var mains = java.util.Map.of(
                "io.muster.gateway.Main", flagsOf(new Main()),
                "io.muster.client.demo.DemoService", flagsOf(new DemoService()),
                "io.muster.client.cli.MusterCli", flagsOf(new MusterCli()));
        var launchers = java.util.Map.of(
                "io.muster.gateway.Main", "muster-gateway",
                "io.muster.client.demo.DemoService", "muster-demo",
                "io.muster.client.cli.MusterCli", "(?<=bin/)muster");
        List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        Set<String> checked = new TreeSet<>();
        for (Path f : files) {
            String text = Files.readString(f);
            for (var e : mains.entrySet()) {
                Set<String> used = flagsAfter(text, command(e.getKey(), launchers.get(e.getKey())));
                assertThat(e.getValue()).as("flags of %s used in %s", e.getKey(), f).containsAll(used);
                used.forEach(u -> checked.add(e.getKey() + " " + u));
            }
        }
        assertThat(checked).contains("io.muster.gateway.Main --config", "io.muster.client.demo.DemoService --port",
                "io.muster.client.cli.MusterCli --targets");
    }
}
