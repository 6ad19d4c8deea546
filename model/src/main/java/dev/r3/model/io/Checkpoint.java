package dev.r3.model.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A model checkpoint directory in the Hugging Face layout: {@code config.json} (Hugging Face keys)
 * and {@code model.safetensors} (float32, Hugging Face tensor names, {@code "format": "pt"}
 * metadata), so that {@code transformers} can open it. Other files in the directory (the
 * tokenizer's {@code vocab.json}, run notes) are never touched.
 *
 * <p>Crash safety: both files are written to hidden temporary files in the same directory, forced
 * to disk, then renamed over the old ones (weights first, then config), and the directory is
 * forced. Each save stamps one random save id into both files ({@code r3_save_id} in config.json,
 * {@code r3.save_id} in the safetensors metadata). A crash before the first rename leaves the old
 * checkpoint; after both, the new one; between the two, the ids differ and {@link #load} refuses
 * the directory instead of pairing new weights with an old config. Foreign checkpoints without ids
 * load normally. Two processes saving into one directory at once are not supported.
 */
public final class Checkpoint {
  private Checkpoint() {}

  public static final String CONFIG_FILE = "config.json";
  public static final String WEIGHTS_FILE = "model.safetensors";

  /** Metadata keys this class writes itself; callers may not set them. */
  static final String FORMAT_KEY = "format";

  static final String SAVE_ID_KEY = "r3.save_id";
  static final String CONFIG_SAVE_ID_KEY = "r3_save_id";

  private static final Pattern OWN_TEMP =
      Pattern.compile("\\.(config\\.json|model\\.safetensors)\\.[0-9a-f-]{36}\\.tmp");

  /** A loaded checkpoint: the weights and the caller's metadata (reserved keys removed). */
  public record Loaded(ModelWeights weights, Map<String, String> metadata) {
    public Loaded {
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** True when {@code dir} holds both checkpoint files (cheap; does not read them). */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG_FILE))
        && Files.isRegularFile(dir.resolve(WEIGHTS_FILE));
  }

  /** Saves with no extra metadata; see {@link #save(Path, ModelWeights, Map)}. */
  public static void save(Path dir, ModelWeights weights) throws IOException {
    save(dir, weights, Map.of());
  }

  /**
   * Writes {@code weights} and its config into {@code dir} (created if missing), atomically
   * replacing an earlier checkpoint there. {@code metadata} (e.g. step, policy version) is stored
   * as string pairs in the safetensors header.
   *
   * @throws IllegalArgumentException when metadata uses a reserved key ({@code format}, {@code
   *     r3.save_id})
   */
  public static void save(Path dir, ModelWeights weights, Map<String, String> metadata)
      throws IOException {
    for (String reserved : List.of(FORMAT_KEY, SAVE_ID_KEY)) {
      if (metadata.containsKey(reserved)) {
        throw new IllegalArgumentException(
            "metadata key '" + reserved + "' is reserved by the checkpoint format");
      }
    }
    Files.createDirectories(dir);
    removeStaleTemporaries(dir);
    String saveId = UUID.randomUUID().toString();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(FORMAT_KEY, "pt");
    meta.put(SAVE_ID_KEY, saveId);
    meta.putAll(metadata);

    Path tmpWeights = dir.resolve("." + WEIGHTS_FILE + "." + saveId + ".tmp");
    Path tmpConfig = dir.resolve("." + CONFIG_FILE + "." + saveId + ".tmp");
    try {
      Safetensors.write(tmpWeights, weights.tensors(), meta);
      writeDurably(
          tmpConfig, configJson(weights.config(), saveId).getBytes(StandardCharsets.UTF_8));
      move(tmpWeights, dir.resolve(WEIGHTS_FILE));
      move(tmpConfig, dir.resolve(CONFIG_FILE));
      forceDirectory(dir);
    } finally {
      Files.deleteIfExists(tmpWeights);
      Files.deleteIfExists(tmpConfig);
    }
  }

  /** Loads the weights; see {@link #read}. */
  public static ModelWeights load(Path dir) throws IOException {
    return read(dir).weights();
  }

  /**
   * Loads a checkpoint, checking that config.json, the tensor names and the tensor shapes agree.
   *
   * @throws SafetensorsException for a missing directory or file, an interrupted save, a config
   *     that does not match the tensors (naming them), or a corrupt file
   */
  public static Loaded read(Path dir) throws IOException {
    ModelConfig config = config(dir);
    Path weightsFile = requireFile(dir, WEIGHTS_FILE);
    Safetensors.Contents contents = Safetensors.read(weightsFile);
    String configId = configSaveId(dir);
    String weightsId = contents.metadata().get(SAVE_ID_KEY);
    if (configId != null && weightsId != null && !configId.equals(weightsId)) {
      throw new SafetensorsException(
          "checkpoint "
              + dir
              + ": "
              + CONFIG_FILE
              + " (save "
              + configId
              + ") and "
              + WEIGHTS_FILE
              + " (save "
              + weightsId
              + ") come from different saves (interrupted save?)");
    }
    checkMatches(dir, config, contents.tensors());
    Map<String, String> meta = new LinkedHashMap<>(contents.metadata());
    meta.remove(FORMAT_KEY);
    meta.remove(SAVE_ID_KEY);
    try {
      return new Loaded(new ModelWeights(config, contents.tensors()), meta);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException("checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The caller's metadata of a checkpoint, reading only the safetensors header. */
  public static Map<String, String> metadata(Path dir) throws IOException {
    Map<String, String> meta =
        new LinkedHashMap<>(Safetensors.readMetadata(requireFile(dir, WEIGHTS_FILE)));
    meta.remove(FORMAT_KEY);
    meta.remove(SAVE_ID_KEY);
    return Collections.unmodifiableMap(meta);
  }

  /** The model config of a checkpoint (config.json only). */
  public static ModelConfig config(Path dir) throws IOException {
    Path file = requireFile(dir, CONFIG_FILE);
    try {
      return ModelConfig.fromJson(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | MalformedInputException e) {
      throw new SafetensorsException(file + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- internals

  static String configJson(ModelConfig c, String saveId) {
    JsonObject o = JsonParser.parseString(c.toJson()).getAsJsonObject();
    o.addProperty(CONFIG_SAVE_ID_KEY, saveId);
    return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
  }

  private static String configSaveId(Path dir) throws IOException {
    try {
      JsonElement id =
          JsonParser.parseString(Files.readString(dir.resolve(CONFIG_FILE), StandardCharsets.UTF_8))
              .getAsJsonObject()
              .get(CONFIG_SAVE_ID_KEY);
      return id == null || id.isJsonNull() ? null : id.getAsString();
    } catch (RuntimeException e) {
      return null; // config() already parsed it; an odd id field is simply not used
    }
  }

  private static Path requireFile(Path dir, String name) throws SafetensorsException {
    if (!Files.isDirectory(dir)) {
      throw new SafetensorsException(
          "no checkpoint at "
              + dir
              + ": "
              + (Files.exists(dir) ? "not a directory" : "directory does not exist"));
    }
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) {
      String hint =
          name.equals(WEIGHTS_FILE) && Files.exists(dir.resolve(WEIGHTS_FILE + ".index.json"))
              ? " (sharded checkpoints are not supported)"
              : "";
      throw new SafetensorsException("checkpoint " + dir + " lacks " + name + hint);
    }
    return file;
  }

  /**
   * Every tensor the config expects is present with its shape, and nothing else; names them all.
   */
  private static void checkMatches(Path dir, ModelConfig config, Map<String, HostTensor> tensors)
      throws SafetensorsException {
    Map<String, int[]> expected = ModelWeights.expectedShapes(config);
    List<String> problems = new ArrayList<>();
    for (var e : expected.entrySet()) {
      HostTensor t = tensors.get(e.getKey());
      if (t == null) {
        problems.add("lacks tensor '" + e.getKey() + "'");
      } else if (!Arrays.equals(t.shape(), e.getValue())) {
        problems.add(
            "tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", config.json expects "
                + Arrays.toString(e.getValue()));
      }
    }
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name)) {
        problems.add("has tensor '" + name + "' that config.json does not describe");
      }
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 5);
      throw new SafetensorsException(
          "checkpoint "
              + dir
              + ": "
              + WEIGHTS_FILE
              + " does not match "
              + CONFIG_FILE
              + ": "
              + String.join("; ", problems.subList(0, shown))
              + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : ""));
    }
  }

  private static void writeDurably(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(
          from, to, StandardCopyOption.REPLACE_EXISTING); // same directory: should not happen
    }
  }

  /** Makes the renames durable (POSIX); silently skipped where directories cannot be opened. */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows and some file systems: the rename itself is still atomic
    }
  }

  /**
   * Deletes temporaries that an earlier save left behind when its process died (our names only).
   */
  private static void removeStaleTemporaries(Path dir) throws IOException {
    try (DirectoryStream<Path> s =
        Files.newDirectoryStream(
            dir, p -> OWN_TEMP.matcher(p.getFileName().toString()).matches())) {
      for (Path p : s) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // nothing to clean
    }
  }
}
