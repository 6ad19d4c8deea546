package dev.r3.actors.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A rollout node's folder of plugin jars fetched from the learner, each kept as {@code
 * <sha256>.jar}. A jar is used only with the digest the learner announced: the file at the
 * learner's path when it has it (a shared file system, or the same machine), else the cached copy.
 * A download is written to a temporary file in the folder, checked (size and SHA-256) and only then
 * moved into place atomically, so the folder never holds a half-written or unverified jar under a
 * digest's name; a failed download deletes its temporary file.
 */
final class PluginCache {
  private final Path dir;

  PluginCache(Path dir) {
    this.dir = dir;
  }

  /** Where a jar with this digest is kept. */
  Path cached(PluginJar jar) {
    return dir.resolve(jar.sha256() + ".jar");
  }

  /**
   * The jar with the announced digest, already on this machine: at the learner's path, or in the
   * cache; empty when neither has it (a cached copy with other bytes is deleted).
   */
  Optional<Path> find(PluginJar jar) throws IOException {
    Path there = Path.of(jar.path());
    if (Files.isRegularFile(there) && Files.isReadable(there)) {
      if (jar.sha256().equals(PluginJar.sha256(there))) {
        return Optional.of(there);
      }
    }
    Path cached = cached(jar);
    if (Files.isRegularFile(cached)) {
      if (jar.sha256().equals(PluginJar.sha256(cached))) {
        return Optional.of(cached);
      }
      // Damaged since it was verified: fetched again (another node on this machine may do the
      // same).
      Files.deleteIfExists(cached);
    }
    return Optional.empty();
  }

  /** A download of {@code jar} into a temporary file of the cache folder. */
  Download download(PluginJar jar) throws IOException {
    Files.createDirectories(dir);
    Path part = Files.createTempFile(dir, jar.sha256() + "-", ".part");
    return new Download(jar, part);
  }

  /** One jar being written, in order, piece after piece. */
  final class Download implements AutoCloseable {
    private final PluginJar jar;
    private final Path part;
    private final FileChannel out;
    private final MessageDigest digest = PluginJar.digest();
    private long written;
    private boolean committed;

    private Download(PluginJar jar, Path part) throws IOException {
      this.jar = jar;
      this.part = part;
      this.out = FileChannel.open(part, StandardOpenOption.WRITE);
    }

    /** Bytes written so far: the offset of the next piece. */
    long written() {
      return written;
    }

    /** Whether every byte the learner announced is here. */
    boolean complete() {
      return written == jar.size();
    }

    /**
     * Appends the piece at {@code offset}.
     *
     * @param expected the piece's length as asked for
     * @throws CorruptTransfer when the piece is not the one asked for
     */
    void append(long offset, byte[] data, int expected) throws IOException {
      if (offset != written || data.length != expected || written + data.length > jar.size()) {
        throw new CorruptTransfer(
            "corrupt transfer of plugin jar "
                + jar.describe()
                + ": the piece at byte "
                + offset
                + " has "
                + data.length
                + " bytes, expected "
                + expected
                + " at byte "
                + written);
      }
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        out.write(b);
      }
      digest.update(data);
      written += data.length;
    }

    /**
     * Checks size and digest, then moves the jar into place.
     *
     * @return the cached jar
     * @throws CorruptTransfer naming the jar and both digests when they differ
     */
    Path commit() throws IOException {
      out.force(true);
      out.close();
      String got = HexFormat.of().formatHex(digest.digest());
      if (written != jar.size() || !got.equals(jar.sha256())) {
        throw new CorruptTransfer(
            "plugin jar "
                + jar.name()
                + " from the learner ("
                + jar.path()
                + ") has the wrong digest: the "
                + written
                + " bytes received have SHA-256 "
                + got
                + ", the learner announced SHA-256 "
                + jar.sha256()
                + " ("
                + jar.size()
                + " bytes); not used, nothing cached");
      }
      Path target = cached(jar);
      // Same folder: a rename, which replaces a jar another node process cached meanwhile.
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
      committed = true;
      return target;
    }

    /** Deletes the temporary file unless the jar was committed. */
    @Override
    public void close() throws IOException {
      out.close();
      if (!committed) {
        Files.deleteIfExists(part);
      }
    }
  }

  /** Bytes that are not the jar the learner announced. */
  static final class CorruptTransfer extends IOException {
    CorruptTransfer(String message) {
      super(message);
    }
  }
}
