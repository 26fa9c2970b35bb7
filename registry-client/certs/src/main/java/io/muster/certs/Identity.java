package io.muster.certs;

import java.net.URI;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a certificate speaks for inside a cluster: a member (by its id) or a client (by its name).
 *
 * <p>Carried as a URI subject alternative name, {@code muster://member/n1} or {@code
 * muster://client/gateway}, so that one CA can sign both kinds and the peer surface can still refuse
 * a client certificate: trust in the CA says "ours", the identity says "which of ours".
 */
public record Identity(Kind kind, String name) {

  /** Member ids and client names: what fits in a URI path segment and a file name unescaped. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  static final String SCHEME = "muster";

  public enum Kind {
    MEMBER("member"),
    CLIENT("client");

    private final String segment;

    Kind(String segment) {
      this.segment = segment;
    }
  }

  public Identity {
    if (kind == null) {
      throw new IllegalArgumentException("kind: required");
    }
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "name: must match " + NAME.pattern() + " (1 to 63 characters), got '" + name + "'");
    }
  }

  public static Identity member(String id) {
    return new Identity(Kind.MEMBER, id);
  }

  public static Identity client(String name) {
    return new Identity(Kind.CLIENT, name);
  }

  public URI uri() {
    return URI.create(SCHEME + "://" + kind.segment + "/" + name);
  }

  /** The identity a certificate carries, if it carries exactly one well-formed Muster URI. */
  public static Optional<Identity> of(X509Certificate certificate) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
    if (names == null) {
      return Optional.empty();
    }
    Identity found = null;
    for (List<?> entry : names) {
      if (entry.size() < 2 || !Integer.valueOf(6).equals(entry.get(0))) {
        continue; // 6 = uniformResourceIdentifier
      }
      Optional<Identity> parsed = parse(String.valueOf(entry.get(1)));
      if (parsed.isEmpty()) {
        continue;
      }
      if (found != null) {
        return Optional.empty(); // two identities in one certificate: trust neither
      }
      found = parsed.get();
    }
    return Optional.ofNullable(found);
  }

  static Optional<Identity> parse(String uri) {
    String prefix = SCHEME + "://";
    if (!uri.startsWith(prefix)) {
      return Optional.empty();
    }
    String rest = uri.substring(prefix.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    String segment = rest.substring(0, slash);
    String name = rest.substring(slash + 1);
    for (Kind kind : Kind.values()) {
      if (kind.segment.equals(segment) && NAME.matcher(name).matches()) {
        return Optional.of(new Identity(kind, name));
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return uri().toString();
  }
}
