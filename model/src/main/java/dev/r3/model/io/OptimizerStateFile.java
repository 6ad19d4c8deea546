package dev.r3.model.io;

import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW state in one safetensors file beside a checkpoint's weights ({@code
 * optimizer.safetensors}): tensors {@code exp_avg.<name>} and {@code exp_avg_sq.<name>} under the
 * Hugging Face names of the weights, float32; metadata {@code r3.optimizer = adamw}, {@code steps},
 * {@code lr} (Java's shortest round-trip decimal, so the float comes back bit for bit) and the
 * model's config.json. Python reads it with {@code safetensors.torch.load_file}.
 */
public final class OptimizerStateFile {
  private OptimizerStateFile() {}

  public static final String FILE = "optimizer.safetensors";

  static final String FIRST = "exp_avg.";
  static final String SECOND = "exp_avg_sq.";

  /** Writes {@code s} to {@code file} (not atomic by itself: write it into a staging folder). */
  public static void write(Path file, OptimizerState s) throws IOException {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    s.firstMoment().tensors().forEach((name, v) -> t.put(FIRST + name, v));
    s.secondMoment().tensors().forEach((name, v) -> t.put(SECOND + name, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("r3.optimizer", "adamw");
    meta.put("steps", Long.toString(s.steps()));
    meta.put("lr", Float.toString(s.lr()));
    meta.put("model_config", s.firstMoment().config().toJson());
    Safetensors.write(file, t, meta);
  }

  /**
   * Reads the state back and checks it against {@code expected} (the checkpoint's model).
   *
   * @throws SafetensorsException naming the file when it is corrupt, describes another model, or
   *     lacks a tensor
   */
  public static OptimizerState read(Path file, ModelConfig expected) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    Map<String, String> meta = c.metadata();
    if (!"adamw".equals(meta.get("r3.optimizer"))) {
      throw new SafetensorsException(
          file + ": not an R3 optimizer state (r3.optimizer = " + meta.get("r3.optimizer") + ")");
    }
    ModelConfig config;
    long steps;
    float lr;
    try {
      config = ModelConfig.fromJson(require(file, meta, "model_config"));
      steps = Long.parseLong(require(file, meta, "steps"));
      lr = Float.parseFloat(require(file, meta, "lr"));
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(file + ": bad metadata: " + e.getMessage(), e);
    }
    if (!config.equals(expected)) {
      throw new SafetensorsException(
          file + ": optimizer state is for model " + config + ", the checkpoint holds " + expected);
    }
    Map<String, HostTensor> m = new LinkedHashMap<>();
    Map<String, HostTensor> v = new LinkedHashMap<>();
    for (var e : c.tensors().entrySet()) {
      String name = e.getKey();
      if (name.startsWith(SECOND)) {
        v.put(name.substring(SECOND.length()), e.getValue());
      } else if (name.startsWith(FIRST)) {
        m.put(name.substring(FIRST.length()), e.getValue());
      } else {
        throw new SafetensorsException(file + ": unexpected tensor '" + name + "'");
      }
    }
    try {
      return new OptimizerState(
          steps, lr, new ModelWeights(config, m), new ModelWeights(config, v));
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(file + ": " + e.getMessage(), e);
    }
  }

  private static String require(Path file, Map<String, String> meta, String key)
      throws SafetensorsException {
    String v = meta.get(key);
    if (v == null) {
      throw new SafetensorsException(file + ": metadata lacks '" + key + "'");
    }
    return v;
  }
}
