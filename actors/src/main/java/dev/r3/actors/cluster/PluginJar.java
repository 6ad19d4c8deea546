package dev.r3.actors.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One of the run's environment plugin jars ({@code r3.env.plugins}) as the learner serves it to
 * rollout nodes: its path on the learner, the SHA-256 of its bytes (hex, computed on the learner at
 * start) and its size. A rollout node loads a jar only with this digest ({@link PluginFetcher}).
 */
public record PluginJar(String path, String sha256, long size) {

  /** The jar's file name, as messages name it. */
  public String name() {
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  /** {@code parrot.jar (/learner/path/parrot.jar, SHA-256 ab12..., 4242 bytes)}. */
  public String describe() {
    return name() + " (" + path + " on the learner, SHA-256 " + sha256 + ", " + size + " bytes)";
  }

  /** SHA-256 of a file's bytes, hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest d = digest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** SHA-256 of bytes, hex. */
  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
  }
}
