package io.muster.server.raft;

import com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage;
import com.alipay.sofa.jraft.util.StorageOptionsFactory;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyOptions;

/**
 * RocksDB options sized for a Raft log rather than for a database.
 *
 * <p>jraft's defaults for its log storage are a general-purpose store's: a 64 MB memtable (up to
 * three per column family, and the log has two) and a 512 MB block cache. A Raft log is written
 * once at its head, read back only by a follower that fell behind jraft's in-memory log buffer or
 * by a restarting member replaying it, and truncated after each snapshot. Neither buffer earns its
 * memory there: a memtable holds the unflushed tail (tens of MB after a burst of registrations),
 * and a restart's replay would leave the whole cache filled with entries nobody reads again.
 * Smaller ones bound what the log keeps resident; the figures are in docs/benchmarks.md ("Member
 * memory").
 *
 * <p>Process-wide (jraft looks these up in a static table keyed by the storage class): called by
 * {@code Main}, the composition root, before the node starts (docs/architecture.md,
 * "Process-wide settings"). Idempotent.
 */
public final class RaftLogRocksDb {

    /** One memtable's size; the log flushes it to a table file when it is full. */
    public static final long WRITE_BUFFER_BYTES = 16L << 20;
    /** The active memtable and one being flushed. */
    public static final int WRITE_BUFFERS = 2;
    /** Blocks read back (a lagging follower's catch-up, a restart's replay). */
    public static final long BLOCK_CACHE_BYTES = 8L << 20;

    private static boolean installed;

    private RaftLogRocksDb() {
    }

    public static synchronized void install() {
        if (installed) {
            return;
        }
        // jraft's defaults, with the two buffers made smaller (the table config is copied field by field)
        ColumnFamilyOptions cf = StorageOptionsFactory.getDefaultRocksDBColumnFamilyOptions()
                .setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(WRITE_BUFFERS);
        BlockBasedTableConfig table = StorageOptionsFactory.getDefaultRocksDBTableConfig()
                .setBlockCacheSize(BLOCK_CACHE_BYTES)
                .setCacheNumShardBits(2);
        StorageOptionsFactory.registerRocksDBColumnFamilyOptions(RocksDBLogStorage.class, cf);
        StorageOptionsFactory.registerRocksDBTableFormatConfig(RocksDBLogStorage.class, table);
        installed = true;
    }
}
