package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * AUTO's rule for tokens that share no expert (a batch-1 decode step): GATHER, which runs only the
 * routed experts, is bit-identical to GROUPED there, so the choice keeps the engine's float32
 * tokens and log-probabilities exactly as they were. On the default model's shapes.
 */
class ExpertDispatchTest {
  private static final ModelConfig C = ModelConfig.defaultMoe(103);

  @Test
  void tokensThatShareNoExpert_gatherEqualsGroupedBitForBit() {
    SplittableRandom rng = new SplittableRandom(17);
    try (NDManager m = NDManager.newBaseManager()) {
      JniUtils.setGradMode(false);
      ExpertDispatch.Experts ex = experts(m);
      for (int n : new int[] {1, 1, 1, 2, 4}) { // 4 tokens x top-4 of 16: every expert once
        int[] ids = distinctExperts(n, rng);
        NDArray x = m.randomNormal(0, 1, new Shape(n, C.hiddenSize()), DataType.FLOAT32);
        float[] grouped = run(ex, x, ids, ExpertDispatch.Mode.GROUPED, m);
        float[] gather = run(ex, x, ids, ExpertDispatch.Mode.GATHER, m);
        assertThat(Arrays.equals(gather, grouped)).as("%d tokens, ids %s", n, ids).isTrue();
      }
    }
  }

  @Test
  void auto_picksGatherWhenNoExpertHasTwoTokens_andTheCostModelOtherwise() {
    ExpertDispatch d = new ExpertDispatch(C, x -> x);
    int[] one = new int[C.numExperts()];
    for (int e : new int[] {3, 7, 11, 2}) {
      one[e] = 1;
    }
    assertThat(d.choose(1, one)).isEqualTo(ExpertDispatch.Mode.GATHER);
    int[] even = new int[C.numExperts()];
    Arrays.fill(even, 16); // 64 tokens x top-4 spread evenly
    assertThat(d.choose(64, even)).isEqualTo(ExpertDispatch.Mode.GROUPED);
  }

  private static ExpertDispatch.Experts experts(NDManager m) {
    long e = C.numExperts();
    long i = C.moeIntermediateSize();
    long h = C.hiddenSize();
    NDArray gateUp = m.randomNormal(0, 0.02f, new Shape(e * 2 * i, h), DataType.FLOAT32);
    NDArray down = m.randomNormal(0, 0.02f, new Shape(e * i, h), DataType.FLOAT32);
    return new ExpertDispatch.Experts(C, gateUp, down, m);
  }

  private static int[] distinctExperts(int n, SplittableRandom rng) {
    int[] perm = rng.ints(0, C.numExperts()).distinct().limit(n * C.topK()).toArray();
    return perm;
  }

  private static float[] run(
      ExpertDispatch.Experts ex, NDArray x, int[] ids, ExpertDispatch.Mode mode, NDManager m) {
    ExpertDispatch d = new ExpertDispatch(C, a -> a);
    d.mode = mode;
    boolean[] computed = new boolean[(int) x.getShape().get(0)];
    Arrays.fill(computed, true);
    try (NDManager s = m.newSubManager()) {
      return d.outputs(ex, x, ids, computed, s).toFloatArray();
    }
  }
}
