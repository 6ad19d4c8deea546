package dev.r3.cli;

import dev.r3.env.CharTokenizer;
import dev.r3.model.GemmProbe;
import dev.r3.model.ModelBenchmark;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 bench}: throughput of the default model on this machine, with this machine's measured
 * GEMM rate from the same run, so that model FLOPs utilisation is a ratio of two numbers taken
 * together.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Throughput of the default model: trainer and decode tokens/s, GEMM rate, utilisation.",
      "Trainer tokens/s (forward + backward + AdamW, 16 x 128 tokens), rollout decode tokens/s at batch 1, 16",
      "and 64, this machine's float32 GEMM rate, and model FLOPs utilisation (6 x active params x tokens/s / GEMM)."
    })
public final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--reps",
      defaultValue = "5",
      description = "timed repetitions per figure, median reported (default: ${DEFAULT-VALUE})")
  int reps;

  @Option(
      names = "--new-tokens",
      defaultValue = "64",
      description = "decode tokens per sequence (default: ${DEFAULT-VALUE})")
  int newTokens;

  @Option(
      names = "--bf16-activations",
      description = "decode with bf16 activation rounding (the bf16 rollout engine)")
  boolean bf16;

  @Override
  public Integer call() {
    if (reps < 1 || newTokens < 1) {
      throw new IllegalArgumentException("--reps and --new-tokens must be >= 1");
    }
    ModelConfig cfg = ModelConfig.defaultMoe(CharTokenizer.standard().vocabSize());
    ModelWeights w = ModelWeights.random(cfg, 1);
    System.out.printf(
        "model: hidden %d, %d layers, %d heads, %d experts top-%d, expert width %d, vocab %d;"
            + " %.2fM active / %.2fM total parameters%n",
        cfg.hiddenSize(),
        cfg.numLayers(),
        cfg.numHeads(),
        cfg.numExperts(),
        cfg.topK(),
        cfg.moeIntermediateSize(),
        cfg.vocabSize(),
        cfg.activeParameters() / 1e6,
        cfg.totalParameters() / 1e6);
    System.out.println(
        "threads: OMP_NUM_THREADS="
            + System.getenv("OMP_NUM_THREADS")
            + ", cores "
            + Runtime.getRuntime().availableProcessors());

    GemmProbe.Result gemm = GemmProbe.modelShape();
    System.out.printf(
        "gemm    float32 %dx%d by %dx%d: %.1f GFLOP/s (median), %.1f best%n",
        gemm.m(), gemm.k(), gemm.k(), gemm.n(), gemm.gflops(), gemm.bestGflops());

    double train = ModelBenchmark.trainerTokensPerSecond(w, 16, 128, 2, reps);
    double flops = ModelBenchmark.trainingFlopsPerToken(cfg);
    double mfu = flops * train / (gemm.gflops() * 1e9);
    System.out.printf(
        "trainer 16 x 128 tokens, fwd+bwd+AdamW: %,.0f tokens/s; %.2f GFLOP/s at 6N = %.2f MFLOP/token;"
            + " utilisation %.1f%% of the GEMM rate%n",
        train, flops * train / 1e9, flops / 1e6, 100 * mfu);

    RolloutOptions ro = RolloutOptions.defaults().withBf16Activations(bf16);
    for (int batch : List.of(1, 16, 64)) {
      double d = ModelBenchmark.decodeTokensPerSecond(w, ro, batch, newTokens, 1, reps);
      System.out.printf(
          "decode  batch %2d, %d new tokens%s: %,.0f tokens/s%n",
          batch, newTokens, bf16 ? " (bf16 activations)" : "", d);
    }
    return 0;
  }
}
