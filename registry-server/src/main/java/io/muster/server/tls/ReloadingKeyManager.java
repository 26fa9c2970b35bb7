package io.muster.server.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * This member's certificate and key as the current {@link PeerTls} material has them: every
 * handshake asks anew, so a rotated certificate is presented from the next handshake on, by SSL
 * contexts built once. A handshake picks an alias first and reads its chain and key after: aliases
 * name the material's generation, so a handshake that straddles a reload still gets a key and a chain
 * of one generation.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

    private final Supplier<X509ExtendedKeyManager> current;
    private final Function<String, X509ExtendedKeyManager> byAlias;

    ReloadingKeyManager(Supplier<X509ExtendedKeyManager> current, Function<String, X509ExtendedKeyManager> byAlias) {
        this.current = current;
        this.byAlias = byAlias;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return current.get().getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return current.get().chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return current.get().chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current.get().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current.get().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current.get().chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return byAlias.apply(alias).getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return byAlias.apply(alias).getPrivateKey(alias);
    }
}
