package dev.r3.model;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of the default model; run on demand: {@code mvn -o -pl model test -Dtest=PerfBench
 * -Dr3.bench=true -Dr3.test.threads=2}.
 */
@EnabledIfSystemProperty(named = "r3.bench", matches = "true")
class PerfBench {
  static final int VOCAB = 64;

  /**
   * Wall time, or with -Dr3.bench.cpu=true the process's CPU time (all threads): on a loaded shared
   * machine CPU time measures the work, where wall time measures the queue.
   */
  static long clock() {
    if (Boolean.getBoolean("r3.bench.cpu")) {
      return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
    return System.nanoTime();
  }

  static List<int[]> prompts(int n, int len, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] p = new int[len];
      for (int j = 0; j < len; j++) {
        p[j] = r.nextInt(VOCAB);
      }
      out.add(p);
    }
    return out;
  }

  @Test
  void decodeThroughput() {
    ModelConfig c = ModelConfig.defaultMoe(VOCAB);
    String only = System.getProperty("r3.bench.dispatch", "AUTO,DENSE,GATHER,GROUPED");
    int newTokens = Integer.getInteger("r3.bench.new", 64);
    try (RolloutEngine e =
        new RolloutEngine(
            ModelWeights.random(c, 1), RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      for (String d : only.split(",")) {
        e.setDispatch(ExpertDispatch.Mode.valueOf(d));
        for (int b : new int[] {1, 16, 64}) {
          List<int[]> ps = prompts(b, 16, b);
          e.generate(ps, new SamplingParams(1f, 1f, 4, -1, 0)); // warm-up
          double prefill = Double.MAX_VALUE;
          double decode = Double.MAX_VALUE;
          for (int rep = 0; rep < 3; rep++) { // best of 3: the machine is shared
            long t0 = clock();
            e.generate(ps, new SamplingParams(1f, 1f, 1, -1, 0));
            long t1 = clock();
            e.generate(ps, new SamplingParams(1f, 1f, newTokens, -1, 0));
            long t2 = clock();
            prefill = Math.min(prefill, (t1 - t0) / 1e9);
            decode = Math.min(decode, (t2 - t1) / 1e9 - (t1 - t0) / 1e9);
          }
          System.out.printf(
              "dispatch %-6s batch %3d: prefill %.1f ms, decode %.0f tokens/s (%.2f ms/step)%n",
              d, b, prefill * 1e3, b * (newTokens - 1) / decode, decode * 1e3 / (newTokens - 1));
        }
      }
    }
  }

  @Test
  void trainerThroughput() {
    ModelConfig c = ModelConfig.defaultMoe(VOCAB);
    List<Sequence> seqs = new ArrayList<>();
    int i = 0;
    for (int[] p : prompts(16, 64, 3)) {
      seqs.add(new Sequence("s" + i++, p, 16));
    }
    try (Trainer t = new Trainer(ModelWeights.random(c, 1), TrainerOptions.defaults())) {
      t.setDispatch(
          ExpertDispatch.Mode.valueOf(System.getProperty("r3.bench.trainerDispatch", "AUTO")));
      for (int w = 0; w < 3; w++) {
        t.trainStep(seqs, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood());
      }
      double step = Double.MAX_VALUE;
      double score = Double.MAX_VALUE;
      long[] phases = new long[3];
      for (int s = 0; s < 8; s++) { // best of 8: the machine is shared
        long t0 = clock();
        t.trainStep(seqs, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood());
        long t1 = clock();
        t.score(seqs, RoutingMode.RECOMPUTE, null);
        long t2 = clock();
        if ((t1 - t0) / 1e9 < step) {
          System.arraycopy(t.lastPhaseNanos, 0, phases, 0, 3);
        }
        step = Math.min(step, (t1 - t0) / 1e9);
        score = Math.min(score, (t2 - t1) / 1e9);
      }
      System.out.printf(
          "trainer 16x64: step %.1f ms (%.0f tokens/s), score %.1f ms (%.0f tokens/s)%n",
          step * 1e3, 16 * 63 / step, score * 1e3, 16 * 63 / score);
      System.out.printf(
          "  phases of the best step: forward+loss %.1f ms, backward %.1f ms, clip+AdamW %.1f ms%n",
          phases[0] / 1e6, phases[1] / 1e6, phases[2] / 1e6);
    }
  }

  /**
   * Train-inference mismatch of the default model at random init, fp32 engine and bf16 engine,
   * through the same probe and measures as {@code ./r3 mismatch}.
   */
  @Test
  void mismatchAtRandomInit() {
    ModelWeights w = ModelWeights.random(ModelConfig.defaultMoe(VOCAB), 1);
    List<int[]> prompts = PerfBench.prompts(32, 12, 5);
    for (RolloutPrecision p :
        new RolloutPrecision[] {RolloutPrecision.FP32, RolloutPrecision.BF16}) {
      MismatchProbe.Result r =
          MismatchProbe.measure(
              w, prompts, new MismatchProbe.Options(p, new SamplingParams(1f, 1f, 16, -1, 3)));
      System.out.printf(
          "%s: recompute %s%n%s: R3        %s%n",
          p.configName(), r.recompute(), p.configName(), r.replay());
    }
  }
}
