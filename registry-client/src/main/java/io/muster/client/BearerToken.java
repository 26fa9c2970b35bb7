package io.muster.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * The registry's ACL token as gRPC call credentials: {@code authorization: Bearer <token>} on every
 * call. Over a plain-text channel the token crosses the network readable; use TLS where ACLs matter.
 */
final class BearerToken extends CallCredentials {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Metadata headers = new Metadata();

    BearerToken(String token) {
        this.headers.put(AUTHORIZATION, "Bearer " + check(token));
    }

    /** A token as given: no blanks around it, printable ASCII (it goes into an HTTP/2 header). */
    static String check(String token) {
        String t = token == null ? "" : token.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("token: empty (expected: <accessor_id>.<secret>, as `muster acl token create` prints it)");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("token: a character outside printable ASCII at " + i
                        + " (expected: <accessor_id>.<secret>)");
            }
        }
        return t;
    }

    /** The first line of {@code file}. */
    static String read(Path file) {
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8);
            int eol = content.indexOf('\n');
            return check(eol < 0 ? content : content.substring(0, eol));
        } catch (IOException e) {
            throw new IllegalArgumentException("tokenFile: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        try {
            Metadata copy = new Metadata();
            copy.merge(headers);
            applier.apply(copy);
        } catch (RuntimeException e) {
            applier.fail(Status.UNAUTHENTICATED.withDescription("token: " + e.getMessage()).withCause(e));
        }
    }
}
