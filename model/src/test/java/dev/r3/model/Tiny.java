package dev.r3.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Tiny models and data for fast tests. */
final class Tiny {
  private Tiny() {}

  static final int VOCAB = 20;

  /**
   * hidden 32, 2 layers, 4 heads over 2 kv heads (GQA), head dim 8, 8 experts, top-2, expert width
   * 16.
   */
  static ModelConfig moe() {
    return moe(0.02f);
  }

  static ModelConfig moe(float initStd) {
    return ModelConfig.builder(VOCAB)
        .hidden(32)
        .layers(2)
        .heads(4)
        .kvHeads(2)
        .experts(8, 2, 16)
        .maxPositions(64)
        .initStd(initStd)
        .build();
  }

  static List<Sequence> randomSequences(int n, int minLen, int maxLen, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Sequence> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int len = r.nextInt(minLen, maxLen + 1);
      int[] t = new int[len];
      for (int j = 0; j < len; j++) {
        t[j] = r.nextInt(VOCAB);
      }
      out.add(new Sequence("seq-" + i, t, Math.max(1, len / 3)));
    }
    return out;
  }

  /** A random record that fits a sequence (distinct ids per position and layer). */
  static RoutingRecord randomRecord(ModelConfig c, int tokens, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int positions = tokens - 1;
    int[] ids = new int[positions * c.numLayers() * c.topK()];
    for (int p = 0; p < positions * c.numLayers(); p++) {
      int[] perm = new int[c.numExperts()];
      for (int i = 0; i < perm.length; i++) {
        perm[i] = i;
      }
      for (int i = perm.length - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
      }
      System.arraycopy(perm, 0, ids, p * c.topK(), c.topK());
    }
    return RoutingRecord.of(positions, c.numLayers(), c.topK(), c.numExperts(), ids);
  }

  static float maxAbsDiff(float[][] a, float[][] b) {
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i].length != b[i].length) {
        throw new AssertionError(
            "row " + i + " lengths differ: " + a[i].length + " vs " + b[i].length);
      }
      for (int j = 0; j < a[i].length; j++) {
        m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return m;
  }
}
