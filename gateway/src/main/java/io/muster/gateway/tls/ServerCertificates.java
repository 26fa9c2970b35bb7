package io.muster.gateway.tls;

import io.muster.gateway.config.ListenerTlsConfig;
import io.muster.gateway.config.ListenerTlsConfig.CertificateConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of one TLS listener, chosen by SNI name, and reloadable: {@link #reloadIfChanged}
 * builds a whole new name-to-context mapping from the files and swaps it in atomically, so a
 * handshake sees either the old set or the new one, never a mix, and connections already established
 * keep the session they negotiated.
 *
 * <p>Threading: {@link #mapping()} is read by every accepting event loop (one volatile read per
 * handshake); {@link #reloadIfChanged} is called by one timer thread.
 */
public final class ServerCertificates {

  private static final Logger log = LoggerFactory.getLogger(ServerCertificates.class);

  /** What the files looked like when loaded: a change in any of them triggers a reload. */
  private record Stamp(List<Object> files) {}

  private record Loaded(Mapping<String, SslContext> mapping, Stamp stamp, List<X509Certificate> leaves) {}

  private final ListenerTlsConfig config;
  private final boolean http2;
  private final SslProvider provider;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private final Mapping<String, SslContext> mapping = name -> current.get().mapping().map(name);

  /**
   * Loads every certificate now.
   *
   * @param http2 offer {@code h2} before {@code http/1.1} by ALPN
   * @throws IllegalArgumentException naming the file that cannot be read or parsed
   */
  public ServerCertificates(ListenerTlsConfig config, boolean http2) {
    this.config = Objects.requireNonNull(config, "config");
    this.http2 = http2;
    this.provider = TlsProvider.of(config.provider().equals("openssl"), "tls.provider");
    current.set(load());
  }

  /** SNI name to context; names no certificate covers (and no SNI at all) get the first certificate. */
  public Mapping<String, SslContext> mapping() {
    return mapping;
  }

  /** The leaf certificates in use, in configuration order. */
  public List<X509Certificate> leaves() {
    return current.get().leaves();
  }

  public long reloadIntervalMs() {
    return config.reloadIntervalMs();
  }

  /**
   * Reloads when any file changed since the last load. A file that does not parse (e.g. caught
   * half-written) leaves the current certificates in place and is tried again next time.
   *
   * @return true if a new set was swapped in
   */
  public boolean reloadIfChanged() {
    Stamp now;
    try {
      now = stamp();
    } catch (IOException e) {
      log.warn("tls: cannot stat certificate files, keeping the current ones: {}", e.toString());
      return false;
    }
    if (now.equals(current.get().stamp())) {
      return false;
    }
    try {
      current.set(load());
      log.info("tls: certificates reloaded ({} certificate(s))", config.certificates().size());
      return true;
    } catch (RuntimeException e) {
      log.warn("tls: reload failed, keeping the current certificates: {}", e.getMessage());
      return false;
    }
  }

  private Loaded load() {
    Stamp stamp;
    try {
      stamp = stamp();
    } catch (IOException e) {
      throw new IllegalArgumentException("tls.certificates: cannot read " + e.getMessage(), e);
    }
    List<X509Certificate> leaves = new ArrayList<>();
    DomainWildcardMappingBuilder<SslContext> builder = null;
    for (int i = 0; i < config.certificates().size(); i++) {
      CertificateConfig c = config.certificates().get(i);
      String key = "tls.certificates[" + i + "]";
      X509Certificate leaf = readLeaf(Path.of(c.certFile()), key + ".cert-file");
      leaves.add(leaf);
      KeyPairCheck.requireMatch(leaf, Path.of(c.keyFile()), key + ".key-file");
      SslContext ctx = context(c, key);
      if (builder == null) {
        builder = new DomainWildcardMappingBuilder<>(ctx); // the first certificate is the default
      }
      List<String> names = c.serverNames().isEmpty() ? dnsNames(leaf) : c.serverNames();
      for (String name : names) {
        builder.add(name.toLowerCase(Locale.ROOT), ctx);
      }
    }
    return new Loaded(builder.build(), stamp, List.copyOf(leaves));
  }

  private SslContext context(CertificateConfig c, String key) {
    try {
      SslContextBuilder b = SslContextBuilder.forServer(Path.of(c.certFile()).toFile(), Path.of(c.keyFile()).toFile())
          .sslProvider(provider);
      if (http2) {
        b.applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": cannot use " + c.certFile() + " with " + c.keyFile() + ": "
          + e.getMessage(), e);
    }
  }

  private static X509Certificate readLeaf(Path file, String key) {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | CertificateException | ClassCastException e) {
      throw new IllegalArgumentException(key + ": " + file + ": not a PEM certificate (" + e.getMessage() + ")", e);
    }
  }

  private static List<String> dnsNames(X509Certificate leaf) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (Integer.valueOf(2).equals(san.get(0))) { // dNSName
            names.add((String) san.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      log.warn("tls: cannot read the subject alternative names of {}: {}", leaf.getSubjectX500Principal(), e.toString());
    }
    return names;
  }

  private Stamp stamp() throws IOException {
    // inode (a rename over the file), time (to the nanosecond where the file system keeps it) and size
    List<Object> files = new ArrayList<>();
    for (CertificateConfig c : config.certificates()) {
      for (String f : List.of(c.certFile(), c.keyFile())) {
        BasicFileAttributes a = Files.readAttributes(Path.of(f), BasicFileAttributes.class);
        files.add(List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size()));
      }
    }
    return new Stamp(files);
  }
}
