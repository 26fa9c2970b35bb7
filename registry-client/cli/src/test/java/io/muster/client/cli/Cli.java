package io.muster.client.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code muster} in this JVM against {@code targets}, capturing its output and exit code. */
record Cli(String targets) {

    record Result(int code, String out, String err) {
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 2];
        full[0] = "--targets";
        full[1] = targets;
        System.arraycopy(args, 0, full, 2, args.length);
        int code = MusterCli.run(new PrintWriter(out), new PrintWriter(err), full);
        return new Result(code, out.toString(), err.toString());
    }
}
