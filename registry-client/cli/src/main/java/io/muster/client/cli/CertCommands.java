package io.muster.client.cli;

import io.muster.certs.CertificateAuthority;
import io.muster.certs.IssuedCertificate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code muster cert create-ca | create-member | create-client}: the cluster CA and the certificates
 * it signs, as PEM files in a directory (like {@code consul tls ca create} / {@code consul tls cert
 * create}). Nothing here talks to a cluster. A file that exists is never replaced without {@code --force}.
 */
final class CertCommands {
    private CertCommands() {
    }

    @Command(name = "cert", description = "Create the cluster CA and the member and client certificates it signs (PEM files)",
            subcommands = {CreateCa.class, CreateMember.class, CreateClient.class})
    static final class CertCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            throw cli.missingSubcommand("cert");
        }
    }

    /** Options every cert command has. */
    abstract static class Writing {
        @Option(names = "--dir", defaultValue = ".", description = "Directory the files are written to (default the current one)")
        Path dir;

        @Option(names = "--force", description = "Replace files that exist (default: refuse)")
        boolean force;

        @Option(names = "--days", description = "Validity in days (default ${DEFAULT-VALUE})")
        int days = 365;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Duration validity() {
            if (days < 1 || days > 36_500) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--days: " + days + " (expected: 1-36500)");
            }
            return Duration.ofDays(days);
        }

        /** Writes {@code issued} as {@code name.pem} and {@code name-key.pem} (owner-only) after checking neither exists. */
        int write(IssuedCertificate issued, String name) throws IOException {
            Path cert = dir.resolve(name + ".pem");
            Path key = dir.resolve(name + "-key.pem");
            for (Path p : List.of(cert, key)) {
                if (Files.exists(p) && !force) {
                    throw new CommandLine.ParameterException(spec.commandLine(), p + ": exists (--force replaces it)");
                }
            }
            Files.createDirectories(dir);
            issued.write(cert, key);
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + cert);
            out.println("wrote " + key + " (owner-only)");
            out.flush();
            return ExitCode.OK;
        }

        CertificateAuthority ca(Path caCert, Path caKey) throws IOException {
            Path cert = caCert != null ? caCert : dir.resolve("ca.pem");
            Path key = caKey != null ? caKey : dir.resolve("ca-key.pem");
            if (!Files.isReadable(cert) || !Files.isReadable(key)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ca-cert/--ca-key: " + cert + " and " + key
                        + " must be readable (muster cert create-ca writes them)");
            }
            return CertificateAuthority.load(cert, key, Clock.systemUTC(), new SecureRandom());
        }
    }

    @Command(name = "create-ca", description = "Create a self-signed cluster CA: ca.pem (give it to members and clients) and ca-key.pem (keep it secret)")
    static final class CreateCa extends Writing implements Callable<Integer> {
        @Option(names = "--name", defaultValue = "Muster CA", description = "Common name of the CA (default ${DEFAULT-VALUE})")
        String name;

        CreateCa() {
            days = 5 * 365;
        }

        @Override
        public Integer call() throws IOException {
            Duration validity = validity();
            return write(CertificateAuthority.create(name, validity, Clock.systemUTC(), new SecureRandom()).certificate(), "ca");
        }
    }

    @Command(name = "create-member", description = "Create a member's certificate (server and client use, identity muster://member/ID): "
            + "member-ID.pem and member-ID-key.pem, signed by the CA in --dir")
    static final class CreateMember extends Writing implements Callable<Integer> {
        @Option(names = "--id", required = true, description = "Member id (--id of muster-server)")
        String id;

        @Option(names = "--host", split = ",", description = "DNS name clients and members dial it by (repeatable, or comma separated)")
        List<String> hosts = List.of();

        @Option(names = "--ip", split = ",", description = "IP address clients and members dial it by (repeatable, or comma separated)")
        List<String> ips = List.of();

        @Option(names = "--ca-cert", description = "CA certificate (default DIR/ca.pem)")
        Path caCert;

        @Option(names = "--ca-key", description = "CA private key (default DIR/ca-key.pem)")
        Path caKey;

        @Override
        public Integer call() throws IOException {
            if (hosts.isEmpty() && ips.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--host/--ip: missing (a member needs at least one name or address that clients verify)");
            }
            Duration validity = validity();
            return write(ca(caCert, caKey).issueMember(id, hosts, ips, validity), "member-" + id);
        }
    }

    @Command(name = "create-client", description = "Create a client certificate (client use only, identity muster://client/NAME): "
            + "client-NAME.pem and client-NAME-key.pem, signed by the CA in --dir")
    static final class CreateClient extends Writing implements Callable<Integer> {
        @Option(names = "--name", required = true, description = "Client name, e.g. gateway or cli")
        String name;

        @Option(names = "--ca-cert", description = "CA certificate (default DIR/ca.pem)")
        Path caCert;

        @Option(names = "--ca-key", description = "CA private key (default DIR/ca-key.pem)")
        Path caKey;

        @Override
        public Integer call() throws IOException {
            Duration validity = validity();
            return write(ca(caCert, caKey).issueClient(name, validity), "client-" + name);
        }
    }
}
