package dev.r3.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.IntFunction;

/** Synthetic run folders for tests: metrics.jsonl, summary.json, mismatch.json written by hand. */
final class Fixtures {
  private Fixtures() {}

  /**
   * A metrics.jsonl of {@code steps} rows; {@code line(step)} returns the JSON object for one step.
   */
  static void metrics(Path dir, int steps, IntFunction<String> line) {
    StringBuilder b = new StringBuilder();
    for (int s = 1; s <= steps; s++) {
      b.append(line.apply(s)).append('\n');
    }
    write(dir.resolve("metrics.jsonl"), b.toString());
  }

  /**
   * A healthy-looking step: reward rising, KL {@code kl}, eval accuracy every 5 steps following
   * {@code acc(step)}, per-layer disagreement as an array over 3 layers.
   */
  static String step(int s, double kl, IntFunction<Double> acc) {
    String eval =
        s % 5 == 0 ? String.format(Locale.ROOT, ", \"eval/accuracy\": %.4f", acc.apply(s)) : "";
    return String.format(
        Locale.ROOT,
        "{\"step\": %d, \"version\": %d, \"reward/mean\": %.4f, \"mismatch/kl\": %.3e,"
            + " \"mismatch/extreme_2\": %.4f, \"mismatch/abs_log_ratio_p99\": %.4f,"
            + " \"routing/disagreement\": %.4f,"
            + " \"routing/disagreement/layer_0\": %.3f, \"routing/disagreement/layer_1\": %.3f,"
            + " \"routing/disagreement/layer_2\": %.3f, \"losses/loss\": 0.1,"
            + " \"losses/grad_norm\": 0.5, \"ledger/produced\": %d, \"ledger/trained\": %d,"
            + " \"ledger/dropped\": 0%s}",
        s,
        s,
        Math.min(1.0, 0.1 + 0.02 * s),
        kl,
        kl * 10,
        kl * 100,
        kl * 20,
        kl * 10,
        kl * 20,
        kl * 30,
        32 * s,
        32 * s,
        eval);
  }

  static void summary(Path dir, double initial, double fin) {
    write(
        dir.resolve("summary.json"),
        String.format(
            Locale.ROOT,
            "{\"initial_eval_accuracy\": %.3f, \"final_eval_accuracy\": %.3f, \"wall_time_s\": 12.5, "
                + "\"ledger\": {\"produced\": 640, \"trained\": 600, \"dropped\": 40}, "
                + "\"config\": {\"eval\": {\"size\": 64}, \"algorithm\": {\"name\": \"grpo\"}}}",
            initial,
            fin));
  }

  static void mismatch(Path dir) {
    write(
        dir.resolve("mismatch.json"),
        "{\"dense\": {\"kl\": 6.4e-4, \"extreme_2\": 0.001, \"tokens\": 1536},"
            + " \"moe\": {\"kl\": 1.5e-3, \"extreme_2\": 0.01, \"router_disagreement\": 0.1, \"token_any_layer\": 0.94,"
            + " \"tokens\": 1536, \"router_disagreement_per_layer\": [0.05, 0.1, 0.15]}, \"moe_r3\": {\"kl\": 7.5e-4, \"extreme_2\": 0.001, \"router_disagreement\": 0.0,"
            + " \"token_any_layer\": 0.0, \"tokens\": 1536, \"router_disagreement_per_layer\": [0, 0]},"
            + " \"config\": {\"rollout_precision\": \"bf16\", \"seed\": 1}}");
  }

  static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
