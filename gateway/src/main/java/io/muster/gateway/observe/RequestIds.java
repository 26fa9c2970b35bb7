package io.muster.gateway.observe;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * {@code X-Request-Id}: kept when the client sent one well-formed value, otherwise replaced by a new
 * random 128-bit id (32 lower-case hex digits). The id goes upstream in the request and back to the
 * client in the response, so one id names the request in the client's, the gateway's and the
 * backend's logs.
 *
 * <p>What a client sends is bounded before it is logged or forwarded: 1 to {@value #MAX_LENGTH}
 * characters of {@code A-Z a-z 0-9 - _ . : + / = ~} (UUIDs, hex, base64 and the usual vendor ids).
 * Anything else (longer, spaces, quotes, control characters, several values) is replaced, so a client
 * cannot inject text into log lines or grow headers through the gateway.
 *
 * <p>Thread-safe when {@code random} is (e.g. one delegating to {@code ThreadLocalRandom}: no
 * contention between event loops).
 */
public final class RequestIds {

  public static final AsciiString HEADER = AsciiString.cached("x-request-id");
  static final int MAX_LENGTH = 128;
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final RandomGenerator random;

  public RequestIds(RandomGenerator random) {
    this.random = random;
  }

  /**
   * The request's id: the client's when valid, else a new one, which is then set in {@code headers}
   * (replacing every value the client sent).
   */
  public String apply(HttpHeaders headers) {
    String sent = headers.get(HEADER);
    if (sent != null && isValid(sent)) {
      List<String> all = headers.getAll(HEADER);
      if (all.size() == 1) {
        return sent;
      }
    }
    String id = generate();
    headers.set(HEADER, id);
    return id;
  }

  /** A new random 128-bit id as 32 hex digits. */
  public String generate() {
    byte[] out = new byte[32];
    hex(random.nextLong(), out, 0);
    hex(random.nextLong(), out, 16);
    return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static void hex(long v, byte[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  /** Whether a client's id is kept: 1-128 characters of the allowed set. */
  public static boolean isValid(CharSequence id) {
    int n = id.length();
    if (n == 0 || n > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=' || c == '~';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
