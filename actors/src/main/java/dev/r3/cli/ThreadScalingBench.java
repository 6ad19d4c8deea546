package dev.r3.cli;

import com.google.gson.JsonObject;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.model.CoreShare;
import dev.r3.model.ModelBenchmark;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutOptions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./r3 bench --threads 1,2}: what a phase gains from more libtorch intra-op threads, the
 * figure behind {@code r3.threads.policy}. For the default run's model ({@code small}) and the
 * sizes of {@link SizeBench}: trainer tokens/s (8 x 64, fwd + bwd + AdamW) and decode tokens/s at
 * batch 64 (16 new tokens), each thread count in turn within every round (so that a change in the
 * machine's load hits all counts alike), medians over the rounds. Runs on this thread: the counts
 * are set on it alone ({@link CoreShare#setThisThread}).
 */
final class ThreadScalingBench {
  private ThreadScalingBench() {}

  static JsonObject run(int vocab, List<Integer> threads, int rounds, PrintStream report) {
    List<ModelConfig> models = new ArrayList<>();
    models.add(ModelSizes.small(vocab));
    models.addAll(SizeBench.sizes(vocab));
    RolloutOptions ro = RolloutOptions.defaults();
    JsonObject out = new JsonObject();
    StringBuilder table = new StringBuilder();
    table.append("| model | phase |");
    threads.forEach(t -> table.append(" ").append(t).append(" thread(s) |"));
    table.append(" ratio ").append(threads.get(threads.size() - 1)).append(" / ");
    table.append(threads.get(0)).append(" |\n|---|---|");
    threads.forEach(t -> table.append("---|"));
    table.append("---|\n");
    int before = CoreShare.setThisThread(threads.get(0));
    try {
      for (ModelConfig c : models) {
        ModelWeights w = ModelWeights.random(c, 1);
        double[][] train = new double[threads.size()][rounds];
        double[][] decode = new double[threads.size()][rounds];
        for (int r = 0; r < rounds; r++) {
          for (int i = 0; i < threads.size(); i++) {
            CoreShare.setThisThread(threads.get(i));
            int warm = r == 0 ? 1 : 0;
            train[i][r] =
                ModelBenchmark.trainer(w, SizeBench.TRAIN_BATCH, SizeBench.TRAIN_LENGTH, warm, 1)
                    .tokensPerSecond();
            decode[i][r] =
                ModelBenchmark.decode(w, ro, 64, SizeBench.NEW_TOKENS, warm, 1)
                    .rate()
                    .tokensPerSecond();
          }
        }
        JsonObject one = new JsonObject();
        row(table, SizeBench.key(c), "trainer tokens/s", train, threads, one, "trainer");
        row(table, SizeBench.key(c), "decode b=64 tokens/s", decode, threads, one, "decode_64");
        out.add(SizeBench.key(c), one);
        report.printf("threads: %s done%n", SizeBench.key(c));
      }
    } finally {
      CoreShare.setThisThread(before);
    }
    report.println();
    report.print(table);
    report.printf(
        "medians over %d rounds; within a round each count runs in turn on this thread%n", rounds);
    return out;
  }

  private static void row(
      StringBuilder table,
      String model,
      String phase,
      double[][] rates,
      List<Integer> threads,
      JsonObject json,
      String key) {
    table.append("| ").append(model).append(" | ").append(phase).append(" |");
    JsonObject byThreads = new JsonObject();
    double[] med = new double[threads.size()];
    for (int i = 0; i < threads.size(); i++) {
      med[i] = ModelBenchmark.median(rates[i]);
      byThreads.addProperty(Integer.toString(threads.get(i)), med[i]);
      table.append(String.format(Locale.ROOT, " %,.0f |", med[i]));
    }
    table.append(String.format(Locale.ROOT, " %.2f |%n", med[med.length - 1] / med[0]));
    json.add(key, byThreads);
  }
}
