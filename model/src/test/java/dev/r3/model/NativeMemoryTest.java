package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Long runs must not grow native memory: every step's arrays die with its scope. */
class NativeMemoryTest {

  @Test
  void fiveHundredTrainingSteps_keepLiveArraysAndRssFlat() throws IOException {
    ModelConfig c = Tiny.moe();
    List<Sequence> batch = Tiny.randomSequences(4, 6, 14, 8);
    try (Trainer t = new Trainer(ModelWeights.random(c, 1), TrainerOptions.defaults())) {
      int warmArrays = 0;
      long warmRss = 0;
      List<RoutingRecord> r2 = null;
      for (int step = 0; step < 500; step++) {
        // alternate the three routing modes and scoring, as a learner does
        RoutingMode mode = step % 3 == 0 ? RoutingMode.RECOMPUTE : RoutingMode.R2;
        StepResult s =
            t.trainStep(
                batch,
                mode,
                mode == RoutingMode.RECOMPUTE ? null : r2,
                PolicyLoss.negativeLogLikelihood());
        r2 = s.routing();
        if (step % 10 == 0) {
          t.score(batch, RoutingMode.REPLAY, r2);
        }
        if (step % 25 == 0) {
          // Keep the Java heap's resident footprint steady (eden restarts on already-touched
          // pages), so
          // that RSS growth can only come from native memory.
          System.gc();
        }
        if (step == 200) {
          warmArrays = t.liveArrays();
          warmRss = rssKb();
        }
      }
      assertThat(t.liveArrays()).isEqualTo(warmArrays);
      long growthKb = rssKb() - warmRss;
      assertThat(growthKb).as("RSS growth over the last 300 steps, KiB").isLessThan(16 * 1024);
      t.weights();
      assertThat(t.liveArrays()).isEqualTo(warmArrays);
    }
  }

  @Test
  void repeatedGeneration_keepsLiveArraysBounded() {
    ModelWeights w = ModelWeights.random(Tiny.moe(), 2);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(64 << 10))) {
      int base = e.liveArrays();
      for (int call = 0; call < 20; call++) {
        e.generate(
            List.of(new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {1, 2, 3}),
            new SamplingParams(1f, 1f, 6, -1, call));
        assertThat(e.liveArrays()).isLessThanOrEqualTo(base + e.prefixCacheStats().entries());
      }
      assertThat(e.prefixCacheStats().bytes()).isBetween(1L, 64L << 10);
      assertThat(e.prefixCacheStats().evictions()).isPositive();
      e.clearPrefixCache();
      assertThat(e.liveArrays()).isEqualTo(base);
    }
  }

  /** Resident set size of the process, KiB. */
  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
