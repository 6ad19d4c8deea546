package dev.r3.actors.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's plugin jars as the learner read them at start: each jar's bytes and their SHA-256.
 * {@link PluginServer} serves exactly these bytes, so a jar changed on disk during the run cannot
 * reach a rollout node under the digest of the one the learner loaded. Held in memory for the run
 * (plugin jars are small next to the model's weights).
 */
public final class PluginBundle {
  private final List<PluginJar> jars;
  private final Map<String, byte[]> bytes; // by SHA-256

  private PluginBundle(Map<PluginJar, byte[]> read) {
    this.jars = List.copyOf(read.keySet());
    this.bytes = new LinkedHashMap<>();
    read.forEach((jar, b) -> bytes.put(jar.sha256(), b));
  }

  /** No plugin jars. */
  public static final PluginBundle EMPTY = new PluginBundle(Map.of());

  /**
   * Reads and digests {@code paths} (the run's {@code r3.env.plugins}).
   *
   * @throws IllegalArgumentException naming the first jar that cannot be read
   */
  public static PluginBundle read(List<String> paths) {
    Map<PluginJar, byte[]> read = new LinkedHashMap<>();
    for (String p : paths) {
      Path file = Path.of(p).toAbsolutePath().normalize();
      byte[] b;
      try {
        b = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "plugin jar " + file + " cannot be read to serve it to rollout nodes: " + e, e);
      }
      read.put(new PluginJar(file.toString(), PluginJar.sha256(b), b.length), b);
    }
    return new PluginBundle(read);
  }

  /** These jars with these bytes, as given (a test can pair a jar with bytes of another digest). */
  static PluginBundle of(Map<PluginJar, byte[]> served) {
    return new PluginBundle(new LinkedHashMap<>(served));
  }

  /** The jars, in the run's order. */
  public List<PluginJar> jars() {
    return new ArrayList<>(jars);
  }

  /** The bytes served under {@code sha256}, or null when no jar of the run has it. */
  byte[] bytes(String sha256) {
    return bytes.get(sha256);
  }
}
