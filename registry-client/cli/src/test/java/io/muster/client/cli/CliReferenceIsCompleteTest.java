package io.muster.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every option and parameter of every command has help text, and docs/cli.md names every command
 * and option: a new flag without either fails here. Also: {@code muster completion bash}.
 */
@UnitTest
class CliReferenceIsCompleteTest {

    static final Path DOC = Path.of("..", "..", "docs", "cli.md");

    static List<CommandSpec> commands(CommandSpec spec) {
        List<CommandSpec> out = new ArrayList<>(List.of(spec));
        spec.subcommands().values().stream().map(CommandLine::getCommandSpec).distinct()
                .forEach(s -> out.addAll(commands(s)));
        return out;
    }

    static List<CommandSpec> all() {
        return commands(new CommandLine(new MusterCli()).getCommandSpec());
    }

    @Test
    void everyOptionAndParameterHasHelpText() {
        List<String> missing = new ArrayList<>();
        for (CommandSpec c : all()) {
            for (OptionSpec o : c.options()) {
                if (Stream.of(o.description()).allMatch(String::isBlank)) {
                    missing.add(c.qualifiedName() + " " + o.longestName());
                }
            }
            for (PositionalParamSpec p : c.positionalParameters()) {
                if (Stream.of(p.description()).allMatch(String::isBlank)) {
                    missing.add(c.qualifiedName() + " " + p.paramLabel());
                }
            }
            if (Stream.of(c.usageMessage().description()).allMatch(String::isBlank)) {
                missing.add(c.qualifiedName() + " (the command itself)");
            }
        }
        assertThat(missing).as("options, parameters and commands without a description").isEmpty();
    }

    @Test
    void docsCliNamesEveryCommandAndOption() throws IOException {
        String doc = Files.readString(DOC);
        List<String> missing = new ArrayList<>();
        for (CommandSpec c : all()) {
            String path = c.qualifiedName(" ").replaceFirst("^muster ?", "");
            if (!path.isEmpty() && !path.equals("help") && !doc.contains("`" + path)) {
                missing.add("command " + path);
            }
            for (OptionSpec o : c.options()) {
                if (!o.hidden() && !doc.contains("`" + o.longestName())) {
                    missing.add(path + " " + o.longestName());
                }
            }
        }
        assertThat(missing).as("not in docs/cli.md").isEmpty();
    }

    @Test
    void theHelpListsTheExitCodesOfExitCode() throws IOException {
        Cli.Result help = new Cli("127.0.0.1:1").run("--help");
        assertThat(help.code()).isZero();
        String doc = Files.readString(DOC);
        for (int code : List.of(ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.NOT_FOUND, ExitCode.UNAVAILABLE, ExitCode.PERMISSION)) {
            assertThat(help.out()).containsPattern("(?m)^\\s+" + code + "\\s+\\S");
            assertThat(doc).containsPattern("(?m)^\\| " + code + " \\| \\S");
        }
    }

    @Test
    void completionBashPrintsAScriptForEveryCommand() {
        Cli.Result r = new Cli("127.0.0.1:1").run("completion", "bash");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("complete -F", "muster");
        // hidden commands (cds-training, the launcher's) are not offered
        String subcommands = all().stream().filter(c -> !c.usageMessage().hidden()).map(CommandSpec::name)
                .collect(Collectors.joining(" "));
        for (String name : subcommands.split(" ")) {
            assertThat(r.out()).as(name).contains(name);
        }
        // the -o values complete too
        assertThat(r.out()).contains("(\"table\" \"wide\" \"json\" \"yaml\")");
        assertThat(new Cli("127.0.0.1:1").run("completion", "fish").code()).isEqualTo(ExitCode.USAGE);
    }
}
