package io.muster.client.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code muster completion bash}: picocli's completion script, generated from the command model, so it never drifts. */
@Command(name = "completion", description = {"Print a shell completion script.",
        "bash: source <(muster completion bash); zsh: autoload -U +X bashcompinit && bashcompinit first"})
final class CompletionCommand implements Callable<Integer> {

    static final class Shells implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return List.of("bash", "zsh").iterator();
        }
    }

    @ParentCommand
    MusterCli cli;

    @Parameters(paramLabel = "SHELL", arity = "0..1", defaultValue = "bash", completionCandidates = Shells.class,
            description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}; zsh reads the bash script through bashcompinit)")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            CommandLine self = cli.spec.commandLine().getSubcommands().get("completion");
            throw new CommandLine.ParameterException(self, "SHELL: '" + shell + "' (expected: bash or zsh)");
        }
        cli.out().print(AutoComplete.bash("muster", cli.spec.root().commandLine()));
        cli.out().flush();
        return ExitCode.OK;
    }
}
