package dev.r3.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Throughput of the two engines on one model, measured the same way every time so that runs can be
 * compared: trainer tokens/s (forward + backward + AdamW on full sequences) and rollout decode
 * tokens/s at a given batch width. A benchmark, not a test: nothing here asserts a speed.
 */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  /** Median and best seconds of {@code reps} timed calls. */
  public record Timing(double medianSeconds, double bestSeconds, int reps) {
    /**
     * From the seconds of each timed call (sorted in place); an even count takes the middle pair's
     * mean.
     */
    static Timing of(double[] seconds) {
      Arrays.sort(seconds);
      int n = seconds.length;
      double median = n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
      return new Timing(median, seconds[0], n);
    }
  }

  /**
   * Trainer tokens per second: {@code batch} random sequences of {@code length} tokens, one AdamW
   * step each call (negative log-likelihood over every position), routing recomputed.
   */
  public static double trainerTokensPerSecond(
      ModelWeights w, int batch, int length, int warmup, int reps) {
    List<Sequence> seqs = randomSequences(w.config(), batch, length, 7);
    Timing t;
    try (Trainer trainer = new Trainer(w, TrainerOptions.defaults())) {
      t =
          time(
              warmup,
              reps,
              () ->
                  trainer.trainStep(
                      seqs, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood()));
    }
    return (double) batch * length / t.medianSeconds();
  }

  /**
   * Rollout decode tokens per second at batch width {@code batch}: prompts of 8 tokens, exactly
   * {@code newTokens} generated per sequence (EOS disabled), prefill included in the time.
   */
  public static double decodeTokensPerSecond(
      ModelWeights w, RolloutOptions opts, int batch, int newTokens, int warmup, int reps) {
    List<int[]> prompts = new ArrayList<>();
    for (Sequence s : randomSequences(w.config(), batch, 8, 11)) {
      prompts.add(s.tokens());
    }
    SamplingParams sp = new SamplingParams(1f, 1f, newTokens, -1, 5);
    Timing t;
    try (RolloutEngine engine = new RolloutEngine(w, opts.withPrefixCacheBytes(0))) {
      t = time(warmup, reps, () -> engine.generate(prompts, sp));
    }
    return (double) batch * newTokens / t.medianSeconds();
  }

  /**
   * Floating-point operations per trained token by the usual 6N rule (2N forward, 4N backward),
   * with N the active parameters that take part in matrix products: everything but the embedding
   * lookup. Attention's T^2 term is left out, as in the rule.
   */
  public static double trainingFlopsPerToken(ModelConfig c) {
    long n = c.activeParameters() - (long) c.vocabSize() * c.hiddenSize();
    return 6.0 * n;
  }

  static Timing time(int warmup, int reps, Runnable body) {
    for (int i = 0; i < warmup; i++) {
      body.run();
    }
    double[] s = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      body.run();
      s[i] = (System.nanoTime() - t0) / 1e9;
    }
    return Timing.of(s);
  }

  private static List<Sequence> randomSequences(ModelConfig c, int batch, int length, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Sequence> out = new ArrayList<>(batch);
    for (int b = 0; b < batch; b++) {
      int[] t = new int[length];
      for (int i = 0; i < length; i++) {
        t[i] = 3 + rng.nextInt(c.vocabSize() - 3); // avoid the special ids
      }
      out.add(new Sequence("bench-" + b, t, 1));
    }
    return out;
  }
}
