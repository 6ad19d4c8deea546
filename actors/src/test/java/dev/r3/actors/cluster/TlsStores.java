package dev.r3.actors.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PKCS12 stores made by {@code keytool} (the JDK's, as a user makes them; deploy/README.md has the
 * same commands), once per test JVM under {@code target/tls-stores}:
 *
 * <ul>
 *   <li>{@code node.p12}: the cluster's key pair; {@code trust.p12}: its certificate only;
 *   <li>{@code rogue.p12}: another key pair, plus the cluster's certificate as trusted, so a rogue
 *       node trusts the cluster but the cluster does not trust it.
 * </ul>
 */
record TlsStores(Path nodeKeys, Path trust, Path rogue) {
  static final String PASSWORD = "r3-test-secret";

  private static TlsStores made;

  static synchronized TlsStores shared() throws IOException, InterruptedException {
    if (made == null) {
      Path dir = Path.of("target", "tls-stores").toAbsolutePath();
      Files.createDirectories(dir);
      for (String f : List.of("node.p12", "node.crt", "trust.p12", "rogue.p12")) {
        Files.deleteIfExists(dir.resolve(f));
      }
      // Three rounds of keytool runs side by side (each is a JVM start, slow on a loaded machine).
      together(
          keytool(dir, "-genkeypair", "-alias", "r3", "-dname", "CN=r3", "-keystore", "node.p12"),
          keytool(
              dir,
              "-genkeypair",
              "-alias",
              "rogue",
              "-dname",
              "CN=rogue",
              "-keystore",
              "rogue.p12"));
      together(
          keytool(
              dir,
              "-exportcert",
              "-alias",
              "r3",
              "-rfc",
              "-file",
              "node.crt",
              "-keystore",
              "node.p12"));
      together(
          keytool(
              dir, "-importcert", "-alias", "r3", "-file", "node.crt", "-keystore", "trust.p12"),
          keytool(
              dir, "-importcert", "-alias", "r3", "-file", "node.crt", "-keystore", "rogue.p12"));
      made =
          new TlsStores(
              dir.resolve("node.p12"), dir.resolve("trust.p12"), dir.resolve("rogue.p12"));
    }
    return made;
  }

  /** The --set words that put a node on TLS with these stores. */
  static List<String> sets(Path keyStore, Path trustStore) {
    return List.of(
        "r3.cluster.tls.enabled=on",
        "r3.cluster.tls.key-store=" + keyStore,
        "r3.cluster.tls.trust-store=" + trustStore);
  }

  private static Process keytool(Path dir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
    if (args[0].equals("-importcert")) {
      cmd.add("-noprompt");
    }
    if (args[0].equals("-genkeypair")) {
      cmd.addAll(List.of("-keyalg", "RSA", "-keysize", "2048", "-validity", "30"));
    }
    String log = "keytool" + args[0] + "-" + args[args.length - 1] + ".log";
    return new ProcessBuilder(cmd)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(log).toFile())
        .start();
  }

  private static void together(Process... runs) throws IOException, InterruptedException {
    for (Process p : runs) {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(
            "keytool failed: "
                + p.info().commandLine().orElse("?")
                + " (log in target/tls-stores)");
      }
    }
  }
}
