package dev.r3.model.rl;

import static dev.r3.model.rl.Tiny.ADV;
import static dev.r3.model.rl.Tiny.ON_POLICY;
import static dev.r3.model.rl.Tiny.PAD;
import static dev.r3.model.rl.Tiny.RATIO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.r3.model.rl.ObjectiveConfig.Correction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/*
 * Sequence ratios of the Tiny batch, geometric means of r over the trained tokens:
 *   s_0 = sqrt(1.1 * 1.5)        = 1.2845233   (A = +1, 2 tokens)
 *   s_1 = cbrt(0.7 * 0.9 * 1.5)  = 0.9813026   (A = -2, 3 tokens)
 * G = 2 sequences, N = 5 tokens.
 */
class GspoObjectiveTest {
  private static final float S0 = (float) Math.sqrt(1.1 * 1.5);
  private static final float S1 = (float) Math.cbrt(0.7 * 0.9 * 1.5);
  private static final ObjectiveConfig GSPO = ObjectiveConfig.gspo();
  private static final ObjectiveConfig WIDE = GSPO.withClip(0.5f, 0.5f);

  /** pi_old / mu per token: geometric means sqrt(1.5) = 1.2247449 and cbrt(0.625) = 0.8549880. */
  private static final float[][] OLD_OVER_MU = {{3.0f, 0.5f, PAD}, {1.0f, 2.5f, 0.25f}};

  private static final float W0 = (float) Math.sqrt(1.5);
  private static final float W1 = (float) Math.cbrt(0.625);
  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    m.close();
  }

  @Test
  void gspo_usesTheGeometricMeanRatioPerSequence() {
    ObjectiveResult res = PolicyObjective.compute(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), WIDE);
    // unclipped in [0.5, 1.5]: mean over G of -s_i A_i
    assertThat(res.pgLoss()).isCloseTo((-S0 + 2 * S1) / 2, within(1e-5f));
    assertThat(res.clipFrac()).isZero();
  }

  @Test
  void gspo_gradientFlowsThroughTheSequenceRatio() {
    // d(-A s_i)/dlogp_t = -A s_i / |y_i|, over G = 2
    float[] g = Tiny.gradient(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), WIDE);
    assertThat(g)
        .containsExactly(new float[] {-S0 / 4, -S0 / 4, 0, S1 / 3, S1 / 3, S1 / 3}, within(1e-5f));
  }

  @Test
  void gspo_clipsWholeSequencesAndCountsTheirTokens() {
    // clip [0.8, 1.2]: s_0 = 1.28 is clipped (A > 0), s_1 = 0.98 is not; row 0's 2 tokens of 5
    // clipped
    ObjectiveConfig c = GSPO.withClip(0.2f, 0.2f);
    ObjectiveResult res = PolicyObjective.compute(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), c);
    assertThat(res.pgLoss()).isCloseTo((-1.2f + 2 * S1) / 2, within(1e-5f));
    assertThat(res.clipFrac()).isCloseTo(2f / 5, within(1e-6f));
    float[] g = Tiny.gradient(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), c);
    assertThat(g).containsExactly(new float[] {0, 0, 0, S1 / 3, S1 / 3, S1 / 3}, within(1e-5f));
  }

  @Test
  void gspo_defaultClipRange_isTiny() {
    // [1 - 3e-4, 1 + 4e-4] clips both sequences: row 0 at 1.0004, row 1 at 0.9997
    ObjectiveResult res = PolicyObjective.compute(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GSPO);
    assertThat(res.pgLoss()).isCloseTo((-1.0004f + 2 * 0.9997f) / 2, within(1e-5f));
    assertThat(res.clipFrac()).isEqualTo(1f);
    assertThat(Tiny.gradient(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GSPO)).containsOnly(0f);
  }

  @Test
  void onPolicy_gradientEqualsPlainSequenceMeanPolicyGradient() {
    // at s = 1: gradient of -(1/G) sum_i A_i (1/|y_i|) sum_t logp_t
    float[] g = Tiny.gradient(Tiny.batch(m, Tiny.logp(ON_POLICY), null, ADV), GSPO);
    assertThat(g)
        .containsExactly(new float[] {-0.25f, -0.25f, 0, 1f / 3, 1f / 3, 1f / 3}, within(1e-6f));
  }

  @Test
  void tis_truncatesTheSequenceWeight() {
    // sequence weights min(1.2247, 1.1) = 1.1 and 0.8550; at s = 1 each sequence gives -A w
    ObjectiveConfig c =
        new ObjectiveConfig(
            ObjectiveConfig.Algorithm.GSPO,
            3e-4f,
            4e-4f,
            Correction.TIS,
            1.1f,
            ObjectiveConfig.MIS_LOW,
            ObjectiveConfig.MIS_HIGH,
            false,
            0f);
    PolicyBatch in = Tiny.batch(m, Tiny.logp(ON_POLICY), Tiny.logpInfer(OLD_OVER_MU), ADV);
    ObjectiveResult res = PolicyObjective.compute(in, c);
    assertThat(res.pgLoss()).isCloseTo((-1.1f + 2 * W1) / 2, within(1e-5f));
    assertThat(res.isWeightMean()).isCloseTo((2 * 1.1f + 3 * W1) / 5, within(1e-5f));
    float[] g =
        Tiny.gradient(Tiny.batch(m, Tiny.logp(ON_POLICY), Tiny.logpInfer(OLD_OVER_MU), ADV), c);
    assertThat(g)
        .containsExactly(
            new float[] {-1.1f / 4, -1.1f / 4, 0, W1 / 3, W1 / 3, W1 / 3}, within(1e-5f));
  }

  @Test
  void mis_dropsWholeSequences() {
    // band [0.9, 5]: row 1's geometric mean 0.855 leaves it, so its 3 tokens are dropped
    ObjectiveConfig c =
        new ObjectiveConfig(
            ObjectiveConfig.Algorithm.GSPO,
            3e-4f,
            4e-4f,
            Correction.MIS,
            ObjectiveConfig.TIS_CAP,
            0.9f,
            5f,
            false,
            0f);
    PolicyBatch in = Tiny.batch(m, Tiny.logp(ON_POLICY), Tiny.logpInfer(OLD_OVER_MU), ADV);
    ObjectiveResult res = PolicyObjective.compute(in, c);
    assertThat(res.pgLoss()).isCloseTo(-W0 / 2, within(1e-5f)); // G stays 2: dropped, not removed
    assertThat(res.misDroppedFrac()).isCloseTo(3f / 5, within(1e-6f));
    assertThat(res.isWeightMean()).isCloseTo(2 * W0 / 5, within(1e-5f));
    float[] g =
        Tiny.gradient(Tiny.batch(m, Tiny.logp(ON_POLICY), Tiny.logpInfer(OLD_OVER_MU), ADV), c);
    assertThat(g).containsExactly(new float[] {-W0 / 4, -W0 / 4, 0, 0, 0, 0}, within(1e-5f));
  }
}
