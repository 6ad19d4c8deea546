package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.function.UnaryOperator;

/**
 * Artery's TLS transport ({@code tls-tcp}, mutual authentication) from {@code r3.cluster.tls}:
 * every node presents the certificate of its key store and accepts only peers whose certificate is
 * in its trust store, so a node without the right certificate cannot join. The stores' password
 * comes from the environment variable {@link #PASSWORD_ENV}, never from a setting (settings are
 * printed, sent to rollout nodes and written to summary.json).
 */
public final class ClusterTls {
  /** The environment variable holding the password of both stores. */
  public static final String PASSWORD_ENV = "R3_TLS_PASSWORD";

  private ClusterTls() {}

  /**
   * The pekko settings that switch a node to TLS, or an empty config when {@code
   * r3.cluster.tls.enabled} is off. Checks the stores first and fails naming the key and the file
   * (missing, unreadable, wrong password, no key or no certificate in it).
   *
   * @param local this node's own settings (never the learner's: TLS is set up before joining)
   * @param env reads an environment variable (System::getenv; tests pass their own)
   */
  public static Config overlay(Config local, UnaryOperator<String> env) {
    if (!local.hasPath("r3.cluster.tls.enabled") || !local.getBoolean("r3.cluster.tls.enabled")) {
      return ConfigFactory.empty();
    }
    String password = env.apply(PASSWORD_ENV);
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException(
          "r3.cluster.tls.enabled = on needs the stores' password in the environment variable "
              + PASSWORD_ENV);
    }
    Path keyStore = store(local, "r3.cluster.tls.key-store", password, true);
    Path trustStore = store(local, "r3.cluster.tls.trust-store", password, false);
    String ssl = "pekko.remote.artery.ssl.config-ssl-engine.";
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue(ssl + "key-store", ConfigValueFactory.fromAnyRef(keyStore.toString()))
        .withValue(ssl + "trust-store", ConfigValueFactory.fromAnyRef(trustStore.toString()))
        .withValue(ssl + "key-store-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "key-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "trust-store-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true));
  }

  /** Whether the node config {@code pekko} runs Artery over TLS. */
  public static boolean on(Config pekko) {
    return "tls-tcp".equals(pekko.getString("pekko.remote.artery.transport"));
  }

  private static Path store(Config local, String key, String password, boolean needsKey) {
    String file = local.hasPath(key) ? local.getString(key) : "";
    if (file.isBlank()) {
      throw new IllegalArgumentException(key + " must name a PKCS12 file when TLS is on");
    }
    Path p = Path.of(file).toAbsolutePath();
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException(key + ": no readable file " + p);
    }
    KeyStore ks;
    try (InputStream in = Files.newInputStream(p)) {
      ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password.toCharArray());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          key + ": " + p + " does not open as PKCS12 with " + PASSWORD_ENV + " (" + e + ")", e);
    }
    try {
      boolean found = false;
      for (String alias : Collections.list(ks.aliases())) {
        found |= needsKey ? ks.isKeyEntry(alias) : ks.getCertificate(alias) != null;
      }
      if (!found) {
        throw new IllegalArgumentException(
            key
                + ": "
                + p
                + (needsKey
                    ? " holds no private key (keytool -genkeypair makes one)"
                    : " holds no certificate (keytool -importcert adds one)"));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(key + ": " + p + " unreadable (" + e + ")", e);
    }
    return p;
  }
}
