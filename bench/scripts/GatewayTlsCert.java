import io.muster.certs.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Writes server.pem / server.key (127.0.0.1, localhost) for gateway-tls-providers.sh. */
public class GatewayTlsCert {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    CertificateAuthority ca = CertificateAuthority.create("bench-ca");
    ca.certificate().write(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    ca.issueMember("gateway", List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1))
        .write(dir.resolve("server.pem"), dir.resolve("server.key"));
  }
}
