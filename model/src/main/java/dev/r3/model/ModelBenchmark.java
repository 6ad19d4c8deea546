package dev.r3.model;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Throughput of the two engines on one model, measured the same way every time so that runs can be
 * compared: trainer tokens/s (forward + backward + AdamW on full sequences) and rollout decode
 * tokens/s at a given batch width. A benchmark, not a test: nothing here asserts a speed.
 *
 * <p>Every figure comes twice: per second of wall time, and per second of this process's CPU time
 * (all its threads: the engine's intra-op threads included). On a machine shared with other jobs
 * the wall rate measures the queue for the cores as much as the work; the CPU-time rate measures
 * the work (it still rises a little under contention: caches and memory bandwidth are shared too).
 */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  /**
   * Median and best seconds of {@code reps} timed calls, and the median process CPU seconds per
   * call (NaN where the JVM cannot tell).
   */
  public record Timing(
      double medianSeconds, double bestSeconds, int reps, double medianCpuSeconds) {
    /**
     * From the seconds of each timed call (sorted in place); an even count takes the middle pair's
     * mean.
     */
    static Timing of(double[] seconds) {
      double[] none = new double[seconds.length];
      Arrays.fill(none, Double.NaN);
      return of(seconds, none);
    }

    /** From wall and CPU seconds of each timed call (both sorted in place). */
    static Timing of(double[] seconds, double[] cpuSeconds) {
      return new Timing(median(seconds), seconds[0], seconds.length, median(cpuSeconds));
    }
  }

  /** The median of {@code v} (sorted in place); an even count takes the middle pair's mean. */
  public static double median(double[] v) {
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** Tokens per second of wall time and per second of process CPU time (medians of the calls). */
  public record Rate(double tokensPerSecond, double tokensPerCpuSecond) {
    static Rate of(double tokensPerCall, Timing t) {
      return new Rate(tokensPerCall / t.medianSeconds(), tokensPerCall / t.medianCpuSeconds());
    }
  }

  /**
   * A decode figure: the rate, and the DJL arrays each decode step creates (every op result and
   * every view is one: a count of the per-op calls the step pays overhead for).
   */
  public record DecodeRate(Rate rate, double arraysPerStep) {}

  /**
   * Trainer tokens per second: {@code batch} random sequences of {@code length} tokens, one AdamW
   * step each call (negative log-likelihood over every position), routing recomputed.
   */
  public static Rate trainer(ModelWeights w, int batch, int length, int warmup, int reps) {
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
    return Rate.of((double) batch * length, t);
  }

  /**
   * Rollout decode tokens per second at batch width {@code batch}: prompts of 8 tokens, exactly
   * {@code newTokens} generated per sequence (EOS disabled), prefill included in the time.
   */
  public static DecodeRate decode(
      ModelWeights w, RolloutOptions opts, int batch, int newTokens, int warmup, int reps) {
    List<int[]> prompts = new ArrayList<>();
    for (Sequence s : randomSequences(w.config(), batch, 8, 11)) {
      prompts.add(s.tokens());
    }
    SamplingParams sp = new SamplingParams(1f, 1f, newTokens, -1, 5);
    Timing t;
    double arrays;
    try (RolloutEngine engine = new RolloutEngine(w, opts.withPrefixCacheBytes(0))) {
      t = time(warmup, reps, () -> engine.generate(prompts, sp));
      engine.countDecodeArrays(true);
      engine.generate(prompts, sp);
      arrays = engine.decodeArraysPerStep();
    }
    return new DecodeRate(Rate.of((double) batch * newTokens, t), arrays);
  }

  /**
   * What R3 costs against recompute, in one run on one batch: the trainer step replaying the
   * rollout's routing ({@link RoutingMode#REPLAY}) against the same step recomputing it, timed
   * alternately; building the batch's routing records from the engine's ids (what the rollout
   * engine does per finished sequence); and their wire round trip (compact id bytes out and back,
   * as the Kryo serializer does). Seconds per batch, medians.
   *
   * @param recordBytes routing bytes of the whole batch
   */
  public record R3Overhead(
      double recomputeStepSeconds,
      double replayStepSeconds,
      double recordSeconds,
      double shipSeconds,
      long recordBytes) {
    /** (replay - recompute + record + ship) / recompute: R3's share over a recompute step. */
    public double fraction() {
      return (replayStepSeconds - recomputeStepSeconds + recordSeconds + shipSeconds)
          / recomputeStepSeconds;
    }
  }

  /**
   * R3's overhead on {@code batch} rollouts of {@code newTokens} tokens after an 8-token prompt,
   * generated by the rollout engine (fp32) from {@code w}.
   */
  public static R3Overhead r3Overhead(ModelWeights w, int batch, int newTokens, int reps) {
    List<int[]> prompts = new ArrayList<>();
    for (Sequence s : randomSequences(w.config(), batch, 8, 13)) {
      prompts.add(s.tokens());
    }
    List<Generation> gens;
    try (RolloutEngine engine =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      gens = engine.generate(prompts, new SamplingParams(1f, 1f, newTokens, -1, 3));
    }
    List<Sequence> seqs = new ArrayList<>();
    List<RoutingRecord> records = new ArrayList<>();
    List<int[]> flat = new ArrayList<>();
    long bytes = 0;
    for (int i = 0; i < gens.size(); i++) {
      seqs.add(gens.get(i).toSequence("r3-" + i));
      RoutingRecord r = gens.get(i).routing();
      records.add(r);
      flat.add(r.toIntArray());
      bytes += r.byteSize();
    }
    ModelConfig c = w.config();
    int k = c.isMoe() ? c.topK() : 0;
    Timing record =
        time(
            2,
            reps,
            () -> {
              for (int i = 0; i < records.size(); i++) {
                RoutingRecord r = records.get(i);
                if (k > 0) {
                  RoutingRecord.of(r.positions(), c.numLayers(), k, c.numExperts(), flat.get(i));
                }
              }
            });
    Timing ship =
        time(
            2,
            reps,
            () -> {
              for (RoutingRecord r : records) {
                if (k > 0) {
                  RoutingRecord.fromCompact(
                      r.positions(), r.layers(), r.k(), r.numExperts(), r.compactIds());
                }
              }
            });
    double[] recompute = new double[reps];
    double[] replay = new double[reps];
    double[] none = new double[reps];
    try (Trainer trainer = new Trainer(w, TrainerOptions.defaults())) {
      PolicyLoss nll = PolicyLoss.negativeLogLikelihood();
      trainer.trainStep(seqs, RoutingMode.RECOMPUTE, null, nll); // warm-up, both paths
      trainer.trainStep(seqs, RoutingMode.REPLAY, records, nll);
      for (int i = 0; i < reps; i++) { // alternating, so drift in the machine's load hits both
        long t0 = System.nanoTime();
        trainer.trainStep(seqs, RoutingMode.RECOMPUTE, null, nll);
        long t1 = System.nanoTime();
        trainer.trainStep(seqs, RoutingMode.REPLAY, records, nll);
        long t2 = System.nanoTime();
        recompute[i] = (t1 - t0) / 1e9;
        replay[i] = (t2 - t1) / 1e9;
        none[i] = Double.NaN;
      }
    }
    return new R3Overhead(
        Timing.of(recompute, none.clone()).medianSeconds(),
        Timing.of(replay, none.clone()).medianSeconds(),
        record.medianSeconds(),
        ship.medianSeconds(),
        bytes);
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
    double[] cpu = new double[reps];
    for (int i = 0; i < reps; i++) {
      long c0 = processCpuNanos();
      long t0 = System.nanoTime();
      body.run();
      s[i] = (System.nanoTime() - t0) / 1e9;
      cpu[i] = c0 < 0 ? Double.NaN : (processCpuNanos() - c0) / 1e9;
    }
    return Timing.of(s, cpu);
  }

  /** CPU time of this process, all threads, in nanoseconds; -1 where the JVM cannot tell. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
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
