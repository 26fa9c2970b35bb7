package io.muster.server.api;

import io.muster.api.Causes;
import io.muster.api.v1.Token;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.raft.LeadershipListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first start of a cluster with ACLs on: the first leader that finds no bootstrap token creates
 * one. It draws the token, writes the whole token to {@code <file>.<accessor>.tmp} (owner read/write
 * only), proposes only its salted hash, and once that is applied moves the file to {@code file}. A
 * proposal the state machine refuses (another leader bootstrapped first) removes the temporary file,
 * so the file never names a token the cluster does not know. The secret is never logged.
 *
 * <p>A proposal that fails for any other reason (the Raft node still starting: a one-member
 * cluster elects itself before its start returns; a leadership change) is tried again while this
 * member leads the same term, after 100 ms, doubling up to 2 s.
 *
 * <p>Leadership callbacks come on jraft's thread; the work runs on the member's scheduler.
 */
public final class AclBootstrap implements LeadershipListener {

    private static final Logger log = LoggerFactory.getLogger(AclBootstrap.class);

    private final Catalog catalog;
    private final AclService acl;
    private final Path file;
    private final ScheduledExecutorService scheduler;
    /** The term this member leads, 0 when it does not. */
    private volatile long leadingTerm;

    public AclBootstrap(Catalog catalog, AclService acl, Path file, ScheduledExecutorService scheduler) {
        this.catalog = catalog;
        this.acl = acl;
        this.file = file;
        this.scheduler = scheduler;
    }

    @Override
    public void onLeaderStart(long term) {
        leadingTerm = term;
        schedule(term, 0);
    }

    @Override
    public void onLeaderStop() {
        leadingTerm = 0;
    }

    private void schedule(long term, long delayMs) {
        try {
            scheduler.schedule(() -> bootstrapIfNone(term, delayMs), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void bootstrapIfNone(long term, long lastDelayMs) {
        if (leadingTerm != term || catalog.acl().bootstrapped()) {
            return;
        }
        AclService.NewToken token = acl.draw(Token.newBuilder().setBootstrap(true).setDescription("bootstrap token (first start)"));
        String accessor = token.stored().getToken().getAccessorId();
        Path tmp = file.resolveSibling(file.getFileName() + "." + accessor + ".tmp");
        try {
            writeOwnerOnly(tmp, token.secret() + "\n");
        } catch (IOException e) {
            log.error("ACL bootstrap: cannot write the bootstrap token to {}: {}; not bootstrapping "
                    + "(fix the path or use `muster acl bootstrap`)", tmp, e.toString());
            return;
        }
        acl.propose(token.stored()).whenComplete((r, e) -> {
            if (e != null) {
                deleteQuietly(tmp);
                Throwable cause = Causes.unwrap(e);
                if (!(cause instanceof CommandRejectedException) && leadingTerm == term) {
                    long next = Math.min(2_000, Math.max(100, lastDelayMs * 2));
                    log.info("ACL bootstrap: proposal failed ({}); trying again in {} ms", cause.getMessage(), next);
                    schedule(term, next);
                    return;
                }
                log.info("ACL bootstrap not done by this member: {}", cause.getMessage());
                return;
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                log.info("ACL bootstrap: created the bootstrap token {} (policy global-management); its secret is in {}",
                        accessor, file);
            } catch (IOException io) {
                log.error("ACL bootstrap: created the bootstrap token {}, but could not move {} to {}: {}; the token is in {}",
                        accessor, tmp, file, io.toString(), tmp);
            }
        });
    }

    /** Creates {@code path} readable and writable by its owner only (where the file system has POSIX permissions). */
    static void writeOwnerOnly(Path path, String content) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.deleteIfExists(path);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        var options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (var out = path.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? Files.newByteChannel(path, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.newByteChannel(path, options)) {
            out.write(java.nio.ByteBuffer.wrap(bytes));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("created meanwhile by another process: " + path, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", p, e.toString());
        }
    }
}
