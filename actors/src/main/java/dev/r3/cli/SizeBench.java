package dev.r3.cli;

import com.google.gson.JsonObject;
import dev.r3.model.ModelBenchmark;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutOptions;
import java.io.PrintStream;
import java.util.List;

/**
 * The parts of {@code ./r3 bench} beyond the default model's figures: how trainer and decode cost
 * grow with model size ({@code sizes}: the default model and two bigger ones, measured the same
 * reduced way), and R3's overhead against recompute ({@code r3_overhead_frac}).
 */
final class SizeBench {
  private SizeBench() {}

  /** Trainer batch for the sizes: smaller than the default figure's 16 x 128, so 512 fits. */
  static final int TRAIN_BATCH = 8;

  static final int TRAIN_LENGTH = 64;
  static final int NEW_TOKENS = 16;

  /**
   * The default model and the two bigger ones: head width 32, and the default model's
   * expert width 128 throughout (an expert width equal to the hidden size would make the largest
   * 400M parameters, more than a trainer with AdamW state fits beside other jobs here).
   */
  static List<ModelConfig> sizes(int vocab) {
    ModelConfig base = ModelConfig.defaultMoe(vocab);
    int width = base.moeIntermediateSize();
    return List.of(
        base,
        ModelConfig.builder(vocab).hidden(256).layers(8).heads(8).experts(32, 4, width).build(),
        ModelConfig.builder(vocab).hidden(512).layers(8).heads(16).experts(64, 8, width).build());
  }

  static String key(ModelConfig c) {
    return "hidden"
        + c.hiddenSize()
        + "_layers"
        + c.numLayers()
        + "_experts"
        + c.numExperts()
        + "_top"
        + c.topK();
  }

  /** Per size: trainer and decode rates at {@code batches}; printed and returned as JSON. */
  static JsonObject sizes(
      int vocab, List<Integer> batches, int reps, RolloutOptions ro, PrintStream report) {
    JsonObject out = new JsonObject();
    for (ModelConfig c : sizes(vocab)) {
      ModelWeights w = ModelWeights.random(c, 1);
      JsonObject one = new JsonObject();
      one.addProperty("active_params", c.activeParameters());
      one.addProperty("total_params", c.totalParameters());
      ModelBenchmark.Rate t = ModelBenchmark.trainer(w, TRAIN_BATCH, TRAIN_LENGTH, 1, reps);
      one.addProperty("trainer_tokens_per_s", t.tokensPerSecond());
      one.addProperty("trainer_tokens_per_cpu_s", t.tokensPerCpuSecond());
      report.printf(
          "size %s (%.2fM active / %.2fM total): trainer %d x %d %,.0f tokens/s (%,.0f per CPU s)%n",
          key(c),
          c.activeParameters() / 1e6,
          c.totalParameters() / 1e6,
          TRAIN_BATCH,
          TRAIN_LENGTH,
          t.tokensPerSecond(),
          t.tokensPerCpuSecond());
      JsonObject wall = new JsonObject();
      JsonObject cpu = new JsonObject();
      for (int b : batches) {
        ModelBenchmark.DecodeRate d = ModelBenchmark.decode(w, ro, b, NEW_TOKENS, 1, reps);
        wall.addProperty(Integer.toString(b), d.rate().tokensPerSecond());
        cpu.addProperty(Integer.toString(b), d.rate().tokensPerCpuSecond());
        report.printf(
            "  decode batch %3d, %d new tokens: %,.0f tokens/s (%,.0f per CPU s)%n",
            b, NEW_TOKENS, d.rate().tokensPerSecond(), d.rate().tokensPerCpuSecond());
      }
      one.add("decode_tokens_per_s", wall);
      one.add("decode_tokens_per_cpu_s", cpu);
      out.add(key(c), one);
    }
    return out;
  }

  /** R3 against recompute on the default model; printed, and added to {@code out}. */
  static void r3Overhead(ModelWeights w, int reps, JsonObject out, PrintStream report) {
    int batch = 16;
    int newTokens = 64;
    ModelBenchmark.R3Overhead o = ModelBenchmark.r3Overhead(w, batch, newTokens, reps);
    report.printf(
        "r3 overhead, %d rollouts of 8 + %d tokens: trainer step recompute %.1f ms, replay %.1f ms;"
            + " building the records %.3f ms, their wire round trip %.3f ms (%,d bytes);"
            + " fraction %.2f%%%n",
        batch,
        newTokens,
        1e3 * o.recomputeStepSeconds(),
        1e3 * o.replayStepSeconds(),
        1e3 * o.recordSeconds(),
        1e3 * o.shipSeconds(),
        o.recordBytes(),
        100 * o.fraction());
    out.addProperty("r3_overhead_frac", o.fraction());
    JsonObject parts = new JsonObject();
    parts.addProperty("recompute_step_s", o.recomputeStepSeconds());
    parts.addProperty("replay_step_s", o.replayStepSeconds());
    parts.addProperty("record_s", o.recordSeconds());
    parts.addProperty("ship_s", o.shipSeconds());
    parts.addProperty("routing_bytes", o.recordBytes());
    out.add("r3_overhead", parts);
  }
}
