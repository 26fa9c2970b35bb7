package io.muster.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Deterministic large bodies and their SHA-256, produced and checked in streaming fashion. */
public final class Bodies {

  private static final int BLOCK = 64 * 1024;

  private Bodies() {}

  /** Writes {@code size} pseudo-random bytes derived from {@code seed}. */
  public static void write(OutputStream out, long size, long seed) throws IOException {
    Random random = new Random(seed);
    byte[] block = new byte[BLOCK];
    for (long left = size; left > 0; left -= BLOCK) {
      random.nextBytes(block);
      out.write(block, 0, (int) Math.min(BLOCK, left));
    }
  }

  public static byte[] bytes(int size, long seed) {
    var out = new java.io.ByteArrayOutputStream(size);
    try {
      write(out, size, seed);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** An input stream of the same bytes as {@link #write}. */
  public static InputStream stream(long size, long seed) throws IOException {
    var in = new java.io.PipedInputStream(BLOCK);
    var out = new java.io.PipedOutputStream(in);
    Thread t = new Thread(() -> {
      try (out) {
        write(out, size, seed);
      } catch (IOException ignored) {
        // reader went away
      }
    }, "body-writer-" + seed);
    t.setDaemon(true);
    t.start();
    return in;
  }

  /** SHA-256 and length of what {@link #write} produces. */
  public static String expectedDigest(long size, long seed) throws IOException {
    Digest d = new Digest();
    write(d, size, seed);
    return d.result();
  }

  /** "length:sha256hex" of a stream, read to its end. */
  public static String digest(InputStream in) throws IOException {
    Digest d = new Digest();
    in.transferTo(d);
    return d.result();
  }

  private static final class Digest extends OutputStream {
    private final MessageDigest sha;
    private long length;

    Digest() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void write(int b) {
      sha.update((byte) b);
      length++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      sha.update(b, off, len);
      length += len;
    }

    String result() {
      return length + ":" + HexFormat.of().formatHex(sha.digest());
    }
  }
}
