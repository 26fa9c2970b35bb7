package io.muster.client.cli;

import io.muster.client.RegistryClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code muster}: the command line of a Muster cluster. */
@Command(name = "muster", mixinStandardHelpOptions = true, version = "muster 0.1.0",
        description = "Talk to a Muster registry cluster.",
        subcommands = {Commands.Register.class, Commands.Deregister.class, Commands.ListServices.class,
                Commands.Discover.class, Commands.WatchCmd.class, ClusterCommands.Members.class, ClusterCommands.Leader.class,
                ClusterCommands.MemberCmd.class, ClusterCommands.TransferLeadership.class, ClusterCommands.SnapshotCmd.class})
public final class MusterCli implements Callable<Integer> {

    static final String DEFAULT_TARGETS = "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003";

    @Option(names = {"-t", "--targets"}, scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_TARGETS:-" + DEFAULT_TARGETS + "}",
            description = "Registry members host:port,... (env MUSTER_TARGETS; default ${DEFAULT-VALUE})")
    String targets;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, defaultValue = "table", paramLabel = "FORMAT",
            completionCandidates = Output.FormatNames.class,
            description = "Output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}); json and yaml print the whole answer as one document")
    Output.Format format;

    @Option(names = "--json", scope = ScopeType.INHERIT, hidden = true, description = "Same as -o json (kept for scripts)")
    boolean json;

    @Option(names = "--timeout-ms", scope = ScopeType.INHERIT, defaultValue = "5000", description = "Deadline of one call (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    RegistryClient client() {
        if (timeoutMs < 1 || timeoutMs > 600_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-ms: " + timeoutMs + " (expected: 1-600000)");
        }
        return RegistryClient.builder(List.of(targets.split(","))).deadline(Duration.ofMillis(timeoutMs)).build();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    Output output() {
        return new Output(out(), json ? Output.Format.JSON : format);
    }

    /** Runs the CLI with {@code args}, printing to the given writers; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new MusterCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof io.grpc.StatusRuntimeException sre) {
                cmd.getErr().println("muster: " + sre.getStatus().getCode() + ": " + sre.getStatus().getDescription());
                cmd.getErr().flush();
                return 1;
            }
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("muster: " + e.getMessage());
                cmd.getErr().flush();
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "muster-client-logback.xml");
        }
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }
}
