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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every flag the deploy files pass to the gateway, the demo service and the CLI exists (the
 * registry's flags are checked in the server module). The files cannot all run here (no Docker,
 * no Kubernetes), so this is what keeps them honest.
 */
@UnitTest
class DeployFilesUseRealGatewayAndClientFlagsTest {

    static final Path DEPLOY = Path.of("..", "deploy");
    static final Pattern FLAG = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");

    static Set<String> flagsOf(Object command) {
        CommandLine cl = new CommandLine(command);
        Set<String> names = cl.getCommandSpec().options().stream().flatMap(o -> Stream.of(o.names())).collect(Collectors.toSet());
        cl.getSubcommands().values().forEach(sub -> sub.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names()))));
        return names;
    }

    static Set<String> flagsAfter(String text, String mainClass) {
        Set<String> out = new TreeSet<>();
        String joined = text.replace("\\\n", " ");
        int at = 0;
        while ((at = joined.indexOf(mainClass, at)) >= 0) {
            String tail = joined.substring(at + mainClass.length());
            int end = tail.indexOf('\n');
            Matcher m = FLAG.matcher(end < 0 ? tail : tail.substring(0, end));
            while (m.find()) {
                out.add("--" + m.group(1));
            }
            at += mainClass.length();
        }
        return out;
    }

    @Test
    void flagsInDeployFilesExist() throws IOException {
        var mains = java.util.Map.of(
                "io.muster.gateway.Main", flagsOf(new Main()),
                "io.muster.client.demo.DemoService", flagsOf(new DemoService()),
                "io.muster.client.cli.MusterCli", flagsOf(new MusterCli()));
        List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        Set<String> checked = new TreeSet<>();
        for (Path f : files) {
            String text = Files.readString(f);
            for (var e : mains.entrySet()) {
                Set<String> used = flagsAfter(text, e.getKey());
                assertThat(e.getValue()).as("flags of %s used in %s", e.getKey(), f).containsAll(used);
                used.forEach(u -> checked.add(e.getKey() + " " + u));
            }
        }
        assertThat(checked).contains("io.muster.gateway.Main --config", "io.muster.client.demo.DemoService --port",
                "io.muster.client.cli.MusterCli --targets");
    }
}
