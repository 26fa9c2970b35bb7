package io.muster.client.cli;

import io.muster.api.Version;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.client.RegistryClient;
import io.muster.client.RetryPolicy;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import io.muster.client.Namespaces;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code muster}: the command line of a Muster cluster. */
@Command(name = "muster", mixinStandardHelpOptions = true, version = "muster " + Version.VERSION,
        description = "Talk to a Muster registry cluster.",
        exitCodeOnInvalidInput = ExitCode.USAGE, exitCodeOnExecutionException = ExitCode.ERROR,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:ok",
            "1:server or other error",
            "2:usage: invalid command line or value (INVALID_ARGUMENT)",
            "3:not found",
            "4:unavailable: no member answered in time, or an endpoint is unhealthy",
            "5:permission denied or unauthenticated"},
        subcommands = {Commands.Register.class, Commands.Deregister.class, Commands.Maint.class, Commands.ListServices.class,
                Commands.Discover.class, Commands.WatchCmd.class, ClusterCommands.Members.class, ClusterCommands.Leader.class,
                ClusterCommands.MemberCmd.class, ClusterCommands.TransferLeadership.class, ClusterCommands.SnapshotCmd.class, AclCommands.AclCmd.class,
                EndpointCommands.EndpointCmd.class, HealthCommands.HealthCmd.class, CertCommands.CertCmd.class, CompletionCommand.class,
                CommandLine.HelpCommand.class, CdsTraining.class})
public final class MusterCli implements Callable<Integer> {

    static final String DEFAULT_TARGETS = "127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003";

    @Option(names = {"-t", "--targets"}, scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_TARGETS:-" + DEFAULT_TARGETS + "}",
            description = "Registry members host:port,... (env MUSTER_TARGETS; default ${DEFAULT-VALUE})")
    String targets;

    @Option(names = "--ca", scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_CA}", paramLabel = "PEM",
            description = "Talk TLS, trusting the CA certificate in this PEM file (env MUSTER_CA; muster cert create-ca writes ca.pem)")
    Path ca;

    @Option(names = "--cert", scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_CERT}", paramLabel = "PEM",
            description = "Client certificate (PEM) for members that ask for one; with --key (env MUSTER_CERT)")
    Path cert;

    @Option(names = "--key", scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_KEY}", paramLabel = "PEM",
            description = "Private key (PEM, PKCS#8) of --cert (env MUSTER_KEY)")
    Path key;

    @Option(names = "--tls", scope = ScopeType.INHERIT,
            description = "Talk TLS even without --ca (trusting the JDK's default CAs); also implied by --ca, --cert "
                    + "or an https:// target")
    boolean tls;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, defaultValue = "table", paramLabel = "FORMAT",
            completionCandidates = Output.FormatNames.class,
            description = "Output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}); json and yaml print the whole answer as one document")
    Output.Format format;

    @Option(names = "--json", scope = ScopeType.INHERIT, hidden = true, description = "Same as -o json (kept for scripts)")
    boolean json;

    @Option(names = "--timeout-ms", scope = ScopeType.INHERIT, defaultValue = "5000", description = "Deadline of the command in ms, retries on other members included (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_NAMESPACE:-default}",
            paramLabel = "NS", description = "Namespace of the services named (env MUSTER_NAMESPACE; default ${DEFAULT-VALUE}); "
                    + "'*' lists or watches every namespace (list, watch)")
    String namespace;

    @Option(names = "--token", scope = ScopeType.INHERIT, defaultValue = "${env:MUSTER_TOKEN}", paramLabel = "TOKEN",
            description = "ACL token <accessor_id>.<secret> sent with every call (env MUSTER_TOKEN); see docs/security.md")
    String token;

    @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Read the ACL token from the first line of FILE (e.g. the bootstrap token file); wins over --token")
    java.nio.file.Path tokenFile;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The one event-loop thread of this command's channels, made on the first channel and ended by
     * {@link #run} when the command returns. Not gRPC's shared loops: a JVM that exits while a thread
     * sits in a native call (an event loop in its selector) waits up to 300 ms for it
     * (HotSpot's VM_Exit), and gRPC keeps its shared loops for a second after the last channel
     * closes. NIO, not epoll: nothing to unpack and load for a short-lived process.
     */
    private EventLoopGroup loop;

    /**
     * The usage error of a command group run without one of its commands, naming the commands it has
     * (read from the group, so the message never lists one that does not exist).
     */
    CommandLine.ParameterException missingSubcommand(String group) {
        CommandLine line = spec.commandLine().getSubcommands().get(group);
        return new CommandLine.ParameterException(line,
                "missing subcommand (expected: one of " + String.join(", ", line.getSubcommands().keySet()) + ")");
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** The namespace of a command that names one service: {@code *} is refused (a usage error). */
    String oneNamespace() {
        if (namespace.equals(Namespaces.ALL)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--namespace: '*' (expected: one namespace; '*' only lists or watches every namespace)");
        }
        return namespace;
    }

    RegistryClient client() {
        if (timeoutMs < 1 || timeoutMs > 600_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-ms: " + timeoutMs + " (expected: 1-600000)");
        }
        // the deadline of the whole command, retries on other members included: a script waits at most this long
        Duration deadline = Duration.ofMillis(timeoutMs);
        RegistryClient.Builder b = RegistryClient.builder(targets())
                .retryPolicy(new RetryPolicy(deadline, deadline, Duration.ofMillis(50), Duration.ofSeconds(1)))
                // TLS through the credentials of the CLI's own channels: a command lives too briefly to
                // need the library's certificate reloading
                .channelBuilder(this::channel);
        if (!namespace.equals(Namespaces.ALL)) {
            try {
                b.namespace(namespace);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--namespace: " + e.getMessage().substring("namespace: ".length()));
            }
        }
        if (tokenFile != null) {
            b.tokenFile(tokenFile);
        } else if (token != null && !token.isBlank()) {
            b.token(token);
        }
        return b.build();
    }

    /**
     * A channel to one member on this command's event loop (keep-alive as the client library's
     * default), TLS when {@link #tlsOn()}.
     */
    ManagedChannelBuilder<?> channel(String target) {
        synchronized (this) {
            if (loop == null) {
                loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("muster-cli-io", true), NioIoHandler.newFactory());
            }
        }
        return NettyChannelBuilder.forTarget(target, channelCredentials())
                .eventLoopGroup(loop)
                .channelType(NioSocketChannel.class)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true);
    }

    /** Ends the event loop, if a command made one; its channels are closed (or abandoned at exit) by now. */
    private void closeLoop() {
        EventLoopGroup l;
        synchronized (this) {
            l = loop;
            loop = null;
        }
        if (l != null) {
            l.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    /** The members from --targets, any {@code https://} or {@code http://} in front removed. */
    List<String> targets() {
        return Arrays.stream(targets.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .map(t -> t.replaceFirst("^(?i)https?://", "")).toList();
    }

    /** TLS is on with --tls, --ca, --cert (or their environment variables), or a target written https://. */
    boolean tlsOn() {
        return tls || ca != null || cert != null || key != null
                || Arrays.stream(targets.split(",")).anyMatch(t -> t.trim().toLowerCase(java.util.Locale.ROOT).startsWith("https://"));
    }

    /** Credentials of the channels the CLI opens itself (one per member: endpoint, health report). */
    ChannelCredentials channelCredentials() {
        if (!tlsOn()) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
            // the files checked first: a bad one is one line naming the flag and the file (exit 2),
            // not a handshake failure per member
            java.time.Instant now = java.time.Instant.now();
            if (ca != null) {
                io.muster.api.tls.TlsFiles.checkCa("--ca", ca, now);
                b.trustManager(ca.toFile());
            }
            if (cert != null || key != null) {
                io.muster.api.tls.TlsFiles.checkPair("--cert", required("--cert", cert), "--key", required("--key", key), now);
                b.keyManager(cert.toFile(), key.toFile());
            }
            return b.build();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--ca/--cert/--key: cannot read (" + e.getMessage() + ")", e);
        }
    }

    private Path required(String flag, Path value) {
        if (value == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + ": missing (--cert and --key go together)");
        }
        return value;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    Output output() {
        return new Output(out(), json ? Output.Format.JSON : format);
    }

    /** Runs the CLI with {@code args}, printing to the given writers; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        MusterCli cli = new MusterCli();
        CommandLine cl = new CommandLine(cli);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Status status = ExitCode.statusOf(e);
            if (status != null) {
                cmd.getErr().println("muster: " + status.getCode() + ": " + status.getDescription() + tlsHint(cl.getCommand(), status, e));
                cmd.getErr().flush();
                return ExitCode.of(status.getCode());
            }
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("muster: " + e.getMessage());
                cmd.getErr().flush();
                return ExitCode.USAGE;
            }
            // a local failure (a file that cannot be written, ...): one line, not a stack trace
            cmd.getErr().println("muster: " + e);
            cmd.getErr().flush();
            return ExitCode.ERROR;
        });
        try {
            return cl.execute(args);
        } finally {
            cli.closeLoop();
        }
    }

    /**
     * What an UNAVAILABLE may mean when TLS is involved: gRPC reports a plain-text client refused by a
     * TLS port as a closed connection, and a failed handshake as an I/O error.
     */
    static String tlsHint(MusterCli cli, Status status, Throwable failure) {
        if (status.getCode() != Status.Code.UNAVAILABLE && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
            return "";
        }
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return " (TLS handshake failed: " + c.getMessage() + "; check --ca, --cert and --key)";
            }
        }
        return cli.tlsOn() ? "" : " (if the members' ports use TLS, give --ca (env MUSTER_CA), and --cert/--key if they ask for a client certificate)";
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "muster-client-logback.xml");
        }
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }
}
