package dev.r3.model.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A folder written as one unit: its files are written into a hidden staging folder beside it, each
 * file's size and SHA-256 go into {@code manifest.json} (written last), everything is forced to
 * disk, and the staging folder is renamed to its final name. So a crash at any point leaves either
 * no folder (the staging one is ignored and swept away by the next write) or a complete one, and
 * {@link #verify} tells a complete folder from a damaged one (a file missing, truncated or
 * changed), naming the file.
 *
 * <p>A training checkpoint is such a folder: the Hugging Face files ({@code model.safetensors},
 * {@code config.json}, {@code vocab.json}) with the training state beside them.
 */
public final class Manifest {
  private Manifest() {}

  public static final String FILE = "manifest.json";
  static final String FORMAT = "r3-manifest-1";
  static final String STAGING = ".staging-";
  static final String REPLACED = ".replaced-";

  /** Writes the files of the folder being built (into {@code staging}). */
  @FunctionalInterface
  public interface Contents {
    void writeInto(Path staging) throws IOException;
  }

  /** One listed file. */
  public record Entry(long bytes, String sha256) {}

  /**
   * Builds {@code target} atomically; an existing {@code target} is replaced as a whole.
   *
   * @return the files and their checksums, as written into the manifest
   */
  public static Map<String, Entry> writeAtomically(Path target, Contents contents)
      throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    String name = target.getFileName().toString();
    sweep(parent, name);
    Path staging = parent.resolve("." + name + STAGING + UUID.randomUUID());
    Files.createDirectory(staging);
    try {
      contents.writeInto(staging);
      Map<String, Entry> files = new TreeMap<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(staging)) {
        for (Path p : s) {
          if (!Files.isRegularFile(p)) {
            throw new IOException("checkpoint folders hold plain files only; found " + p);
          }
          String f = p.getFileName().toString();
          if (f.equals(FILE) || f.startsWith(".")) {
            continue; // the manifest itself; temporaries a writer left behind
          }
          files.put(f, new Entry(Files.size(p), sha256(p)));
          force(p);
        }
      }
      JsonObject o = new JsonObject();
      o.addProperty("format", FORMAT);
      JsonObject list = new JsonObject();
      files.forEach(
          (f, e) -> {
            JsonObject x = new JsonObject();
            x.addProperty("bytes", e.bytes());
            x.addProperty("sha256", e.sha256());
            list.add(f, x);
          });
      o.add("files", list);
      Path manifest = staging.resolve(FILE);
      Files.writeString(
          manifest,
          new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n",
          StandardCharsets.UTF_8);
      force(manifest);
      forceDirectory(staging);
      if (Files.exists(target)) {
        Path old = parent.resolve("." + name + REPLACED + UUID.randomUUID());
        move(target, old);
        move(staging, target);
        deleteTree(old);
      } else {
        move(staging, target);
      }
      forceDirectory(parent);
      return Collections.unmodifiableMap(new LinkedHashMap<>(files));
    } finally {
      if (Files.exists(staging)) {
        deleteTree(staging);
      }
    }
  }

  /**
   * Checks that {@code dir} is a complete folder: the manifest is there and every file it lists has
   * its size and checksum.
   *
   * @throws SafetensorsException naming the folder and what is wrong (no manifest: half-written; a
   *     file missing, of another size or checksum)
   */
  public static Map<String, Entry> verify(Path dir) throws IOException {
    Path manifest = dir.resolve(FILE);
    if (!Files.isDirectory(dir)) {
      throw new SafetensorsException("no checkpoint at " + dir);
    }
    if (!Files.isRegularFile(manifest)) {
      throw new SafetensorsException(
          "checkpoint " + dir + " is incomplete: no " + FILE + " (half-written, or not R3's)");
    }
    Map<String, Entry> files = read(manifest);
    List<String> problems = new ArrayList<>();
    for (var e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      if (!Files.isRegularFile(p)) {
        problems.add(e.getKey() + " is missing");
      } else if (Files.size(p) != e.getValue().bytes()) {
        problems.add(
            e.getKey()
                + " has "
                + Files.size(p)
                + " bytes, the manifest says "
                + e.getValue().bytes());
      } else if (!sha256(p).equals(e.getValue().sha256())) {
        problems.add(e.getKey() + " does not match its SHA-256 (changed or corrupt)");
      }
    }
    if (!problems.isEmpty()) {
      throw new SafetensorsException(
          "checkpoint " + dir + " is damaged: " + String.join("; ", problems));
    }
    return files;
  }

  /** The manifest's entries (no checking of the files). */
  public static Map<String, Entry> read(Path manifest) throws IOException {
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(manifest, StandardCharsets.UTF_8))
              .getAsJsonObject();
      JsonElement format = o.get("format");
      if (format == null || !FORMAT.equals(format.getAsString())) {
        throw new SafetensorsException(manifest + ": not an R3 manifest (format " + format + ")");
      }
      Map<String, Entry> out = new TreeMap<>();
      for (var e : o.getAsJsonObject("files").entrySet()) {
        JsonObject x = e.getValue().getAsJsonObject();
        String name = e.getKey();
        if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
          throw new SafetensorsException(manifest + ": bad file name '" + name + "'");
        }
        out.put(name, new Entry(x.get("bytes").getAsLong(), x.get("sha256").getAsString()));
      }
      return Collections.unmodifiableMap(out);
    } catch (RuntimeException e) { // Gson: malformed JSON, wrong types, missing fields
      throw new SafetensorsException(
          manifest + ": unreadable manifest (" + e.getMessage() + ")", e);
    }
  }

  /** SHA-256 of a file, hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has it
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** True for the hidden names this class uses while writing (callers skip them when listing). */
  public static boolean isTemporary(Path p) {
    String f = p.getFileName().toString();
    return f.startsWith(".") && (f.contains(STAGING) || f.contains(REPLACED));
  }

  // ---------------------------------------------------------------- internals

  /** Removes what an earlier write of {@code name} left behind when its process died. */
  private static void sweep(Path parent, String name) throws IOException {
    try (DirectoryStream<Path> s =
        Files.newDirectoryStream(
            parent,
            p -> {
              String f = p.getFileName().toString();
              return f.startsWith("." + name + STAGING) || f.startsWith("." + name + REPLACED);
            })) {
      for (Path p : s) {
        deleteTree(p);
      }
    } catch (NoSuchFileException e) {
      // nothing to sweep
    }
  }

  private static void force(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // some file systems cannot open folders: the rename itself is still atomic
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
