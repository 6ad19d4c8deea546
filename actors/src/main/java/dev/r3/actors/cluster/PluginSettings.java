package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import dev.r3.actors.config.ConfigReader;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a rollout node gets the run's plugin jars ({@code r3.cluster.plugins} in reference.conf),
 * read from the node's own settings ({@code ./r3 node --set ...}), not the learner's: the cache is
 * a folder of this machine.
 *
 * @param cacheDir jars fetched from the learner are kept here as {@code <sha256>.jar}
 * @param pieceBytes a jar travels in pieces of at most this many bytes
 * @param timeout a piece the learner does not answer within this is asked again, up to {@link
 *     #ATTEMPTS} times in all
 */
public record PluginSettings(Path cacheDir, int pieceBytes, Duration timeout) {

  /** Requests per piece before the node gives up (a lost message costs one piece). */
  public static final int ATTEMPTS = 3;

  public static PluginSettings of(Config local) {
    ConfigReader r = ConfigReader.of(local);
    String dir = local.getString("r3.cluster.plugins.cache-dir").strip();
    int piece = r.atLeast("r3.cluster.plugins.piece-bytes", 1024);
    if (piece > PluginServer.MAX_PIECE) {
      throw new IllegalArgumentException(
          "r3.cluster.plugins.piece-bytes must be <= "
              + PluginServer.MAX_PIECE
              + " (256 KiB less room for the message around it), got "
              + piece);
    }
    return new PluginSettings(
        dir.isEmpty()
            ? Path.of(System.getProperty("user.home"), ".cache", "r3", "plugins")
            : Path.of(dir).toAbsolutePath().normalize(),
        piece,
        r.duration("r3.cluster.plugins.timeout"));
  }
}
