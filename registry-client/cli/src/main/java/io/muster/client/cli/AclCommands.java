package io.muster.client.cli;

import io.muster.api.v1.Access;
import io.muster.api.v1.CreateTokenResponse;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Rule;
import io.muster.api.v1.Token;
import io.muster.client.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code muster acl ...}: tokens, policies and the bootstrap of a cluster's ACLs (docs/security.md). */
final class AclCommands {
    private AclCommands() {
    }

    @Command(name = "acl", description = "ACL tokens and policies (needs a token with the operator rule, except bootstrap)",
            subcommands = {Bootstrap.class, TokenCmd.class, PolicyCmd.class})
    static final class AclCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            throw cli.missingSubcommand("acl");
        }
    }

    static picocli.CommandLine.ParameterException missingSubcommand(picocli.CommandLine.Model.CommandSpec spec) {
        return new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (expected: one of " + String.join(", ", spec.commandLine().getSubcommands().keySet()) + ")");
    }

    /** Prints a new token: the secret once, on its own line, so a script can take it. */
    static void printNewToken(Output o, CreateTokenResponse r) {
        if (o.structured()) {
            o.document(r);
            return;
        }
        o.out().printf("accessor id: %s%npolicies:    %s%ntoken (shown once, keep it secret):%n%s%n",
                r.getToken().getAccessorId(), String.join(",", r.getToken().getPoliciesList()), r.getSecret());
        o.out().flush();
    }

    @Command(name = "bootstrap", description = "Create the first operator token of a cluster that has none (once per cluster)")
    static final class Bootstrap implements Callable<Integer> {
        @ParentCommand
        AclCmd parent;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.cli.client()) {
                printNewToken(parent.cli.output(), client.acl().bootstrap());
                return 0;
            }
        }
    }

    @Command(name = "token", description = "Create, list and delete tokens", subcommands = {TokenCreate.class, TokenList.class, TokenDelete.class})
    static final class TokenCmd implements Callable<Integer> {
        @ParentCommand
        AclCmd parent;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            throw missingSubcommand(spec);
        }
    }

    @Command(name = "create", description = "Create a token holding one or more policies; prints it once")
    static final class TokenCreate implements Callable<Integer> {
        @ParentCommand
        TokenCmd parent;
        @Option(names = {"-p", "--policy"}, required = true, split = ",", paramLabel = "NAME", description = "Policy the token holds (repeat or comma-separate; 1-16)")
        List<String> policies;
        @Option(names = {"-d", "--description"}, description = "What the token is for (at most 256 chars)")
        String description = "";

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                printNewToken(parent.parent.cli.output(), client.acl().createToken(description, policies));
                return 0;
            }
        }
    }

    @Command(name = "list", description = "Tokens (accessor ids, never secrets)")
    static final class TokenList implements Callable<Integer> {
        @ParentCommand
        TokenCmd parent;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                List<Token> tokens = client.acl().listTokens();
                Output o = parent.parent.cli.output();
                if (o.structured()) {
                    o.document(Output.list("tokens", tokens));
                    return 0;
                }
                Table t = new Table("ACCESSOR", "POLICIES", "DESCRIPTION");
                tokens.forEach(x -> t.row(x.getAccessorId(), String.join(",", x.getPoliciesList()), x.getDescription()));
                t.print(o.out());
                return 0;
            }
        }
    }

    @Command(name = "delete", description = "Revoke a token: refused on every member, its open streams end")
    static final class TokenDelete implements Callable<Integer> {
        @ParentCommand
        TokenCmd parent;
        @Parameters(paramLabel = "ACCESSOR", description = "Accessor id of the token (muster acl token list)")
        String accessor;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                boolean found = client.acl().deleteToken(accessor);
                parent.parent.cli.out().println(found ? "deleted token " + accessor : "no token " + accessor);
                parent.parent.cli.out().flush();
                return found ? 0 : ExitCode.NOT_FOUND;
            }
        }
    }

    @Command(name = "policy", description = "Create, list and delete policies", subcommands = {PolicyCreate.class, PolicyUpdate.class, PolicyList.class, PolicyDelete.class})
    static final class PolicyCmd implements Callable<Integer> {
        @ParentCommand
        AclCmd parent;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            throw missingSubcommand(spec);
        }
    }

    /**
     * {@code read:PREFIX}, {@code write:PREFIX} or {@code operator}; a prefix may end in {@code *}
     * (dropped: a rule always matches by prefix), {@code *} or nothing alone means every service.
     * {@code NAMESPACE/PREFIX} scopes the rule to a namespace ({@code *}: every namespace); without
     * one the rule is for the namespace {@code default}, as every rule written before namespaces.
     * The server checks the names.
     */
    static Rule parseRule(String text) {
        int colon = text.indexOf(':');
        String access = (colon < 0 ? text : text.substring(0, colon)).toLowerCase(Locale.ROOT);
        String prefix = colon < 0 ? "" : text.substring(colon + 1);
        String namespace = "";
        int slash = prefix.indexOf('/');
        if (slash >= 0) {
            namespace = prefix.substring(0, slash);
            prefix = prefix.substring(slash + 1);
        }
        if (prefix.endsWith("*")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        Access a = switch (access) {
            case "read" -> Access.READ;
            case "write" -> Access.WRITE;
            case "operator" -> Access.OPERATOR;
            default -> throw new IllegalArgumentException("--rule: '" + text
                    + "' (expected: read:[NAMESPACE/]PREFIX, write:[NAMESPACE/]PREFIX or operator, e.g. write:orders* or write:shop/orders*)");
        };
        return Rule.newBuilder().setAccess(a).setServicePrefix(prefix).setNamespace(namespace).build();
    }

    static String format(Rule r) {
        String ns = r.getNamespace().isEmpty() || r.getNamespace().equals("default") ? "" : r.getNamespace() + "/";
        return r.getAccess() == Access.OPERATOR ? "operator"
                : r.getAccess().name().toLowerCase(Locale.ROOT) + ":" + ns + r.getServicePrefix() + "*";
    }

    static Policy policy(String name, String description, List<String> rules) {
        List<Rule> parsed = new ArrayList<>();
        rules.forEach(r -> parsed.add(parseRule(r)));
        return Policy.newBuilder().setName(name).setDescription(description).addAllRules(parsed).build();
    }

    static void printPolicies(Output o, List<Policy> policies) {
        Table t = new Table("NAME", "RULES", "DESCRIPTION");
        policies.forEach(p -> t.row(p.getName(), p.getRulesList().stream().map(AclCommands::format).collect(Collectors.joining(",")),
                p.getDescription()));
        t.print(o.out());
    }

    /** A policy the server answered with: the document in json/yaml, the table's row otherwise. */
    static void printPolicy(Output o, Policy p) {
        if (o.structured()) {
            o.document(p);
        } else {
            printPolicies(o, List.of(p));
        }
    }

    @Command(name = "create", description = "Create a policy of rules by service-name prefix")
    static final class PolicyCreate implements Callable<Integer> {
        @ParentCommand
        PolicyCmd parent;
        @Parameters(paramLabel = "NAME", description = "Policy name (1-64 chars of [A-Za-z0-9_.-])")
        String name;
        @Option(names = {"-r", "--rule"}, required = true, split = ",", paramLabel = "RULE",
                description = "read:PREFIX, write:PREFIX (implies read) or operator; e.g. write:orders* (repeat or comma-separate); "
                        + "NAMESPACE/PREFIX for another namespace than default, e.g. write:shop/orders*, read:*/orders* (every namespace)")
        List<String> rules;
        @Option(names = {"-d", "--description"}, description = "What the policy is for (at most 256 chars)")
        String description = "";

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                printPolicy(parent.parent.cli.output(), client.acl().createPolicy(policy(name, description, rules)));
                return 0;
            }
        }
    }

    @Command(name = "update", description = "Replace the rules of a policy (takes effect on open streams too)")
    static final class PolicyUpdate implements Callable<Integer> {
        @ParentCommand
        PolicyCmd parent;
        @Parameters(paramLabel = "NAME", description = "Policy name")
        String name;
        @Option(names = {"-r", "--rule"}, required = true, split = ",", paramLabel = "RULE", description = "As for create")
        List<String> rules;
        @Option(names = {"-d", "--description"}, description = "What the policy is for")
        String description = "";

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                printPolicy(parent.parent.cli.output(), client.acl().updatePolicy(policy(name, description, rules)));
                return 0;
            }
        }
    }

    @Command(name = "list", description = "Policies and their rules")
    static final class PolicyList implements Callable<Integer> {
        @ParentCommand
        PolicyCmd parent;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                List<Policy> policies = client.acl().listPolicies();
                Output o = parent.parent.cli.output();
                if (o.structured()) {
                    o.document(Output.list("policies", policies));
                } else {
                    printPolicies(o, policies);
                }
                return 0;
            }
        }
    }

    @Command(name = "delete", description = "Delete a policy no token holds")
    static final class PolicyDelete implements Callable<Integer> {
        @ParentCommand
        PolicyCmd parent;
        @Parameters(paramLabel = "NAME", description = "Policy name")
        String name;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.parent.cli.client()) {
                boolean found = client.acl().deletePolicy(name);
                parent.parent.cli.out().println(found ? "deleted policy " + name : "no policy " + name);
                parent.parent.cli.out().flush();
                return found ? 0 : ExitCode.NOT_FOUND;
            }
        }
    }

}
