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

/** TIS, MIS, decoupled PPO and the KL penalty on the GRPO objective, by hand on the Tiny batch. */
class BehaviourCorrectionTest {
  private static final ObjectiveConfig GRPO = ObjectiveConfig.grpo(); // clip [0.8, 1.2], TIS cap 2

  /** pi_old / mu per token. */
  private static final float[][] OLD_OVER_MU = {{3.0f, 0.5f, PAD}, {1.0f, 2.5f, 0.25f}};

  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    m.close();
  }

  private PolicyBatch batch(float[][] ratio, float[][] oldOverMu) {
    return Tiny.batch(m, Tiny.logp(ratio), Tiny.logpInfer(oldOverMu), ADV);
  }

  @Test
  void tis_capsTheWeightAtC() {
    // w = [2 (capped from 3), 0.5 | 1, 2 (capped from 2.5), 0.25]; at r = 1 each token gives -A w
    ObjectiveConfig c = GRPO.withCorrection(Correction.TIS);
    ObjectiveResult res = PolicyObjective.compute(batch(ON_POLICY, OLD_OVER_MU), c);
    assertThat(res.pgLoss()).isCloseTo((-(2 + 0.5f) + 2 * (1 + 2 + 0.25f)) / 5, within(1e-5f));
    assertThat(res.isWeightMean()).isCloseTo(5.75f / 5, within(1e-5f));
    assertThat(res.misDroppedFrac()).isZero();
    assertThat(Tiny.gradient(batch(ON_POLICY, OLD_OVER_MU), c))
        .containsExactly(new float[] {-0.4f, -0.1f, 0, 0.4f, 0.8f, 0.1f}, within(1e-5f));
  }

  @Test
  void mis_masksTokensOutsideTheBandAndKeepsTheRatioInside() {
    // band [0.5, 5]: 6.0 and 0.4 leave it; kept tokens weigh their ratio (IcePop's M(k) = k)
    float[][] oldOverMu = {{6.0f, 0.55f, PAD}, {1.0f, 0.4f, 2.5f}};
    ObjectiveConfig c = GRPO.withCorrection(Correction.MIS);
    ObjectiveResult res = PolicyObjective.compute(batch(ON_POLICY, oldOverMu), c);
    assertThat(res.pgLoss()).isCloseTo((-0.55f + 2 * (1 + 2.5f)) / 5, within(1e-5f));
    assertThat(res.misDroppedFrac()).isCloseTo(2f / 5, within(1e-6f));
    assertThat(res.isWeightMean()).isCloseTo(4.05f / 5, within(1e-5f));
    assertThat(res.tokens()).isEqualTo(5); // dropped tokens stay in the denominator
    assertThat(Tiny.gradient(batch(ON_POLICY, oldOverMu), c))
        .containsExactly(new float[] {0, -0.11f, 0, 0.4f, 0, 1.0f}, within(1e-5f));
  }

  @Test
  void decoupled_weightsTheClippedObjectiveByProxOverBehaviour() {
    // per-token clipped losses [-1.1, -1.2 | 1.6, 1.8, 3.0] times pi_prox/mu [3, 0.5 | 1, 2.5,
    // 0.25]
    ObjectiveConfig c = GRPO.withDecoupled(true);
    ObjectiveResult res = PolicyObjective.compute(batch(RATIO, OLD_OVER_MU), c);
    assertThat(res.pgLoss()).isCloseTo((-3.3f - 0.6f + 1.6f + 4.5f + 0.75f) / 5, within(1e-5f));
    assertThat(res.isWeightMean()).isCloseTo(7.25f / 5, within(1e-5f));
    assertThat(res.clipFrac()).isCloseTo(2f / 5, within(1e-6f));
    // the weight scales the gradient and is itself constant: [-1.1*3, 0 | 0, 1.8*2.5, 3.0*0.25] / 5
    assertThat(Tiny.gradient(batch(RATIO, OLD_OVER_MU), c))
        .containsExactly(new float[] {-0.66f, 0, 0, 0, 0.9f, 0.15f}, within(1e-5f));
  }

  @Test
  void decoupledWithTis_equalsTis() {
    // weights capped at 2: [2, 0.5 | 1, 2, 0.25] on [-1.1, -1.2 | 1.6, 1.8, 3.0]
    float expected = (-2.2f - 0.6f + 1.6f + 3.6f + 0.75f) / 5;
    ObjectiveConfig tis = GRPO.withCorrection(Correction.TIS);
    assertThat(PolicyObjective.compute(batch(RATIO, OLD_OVER_MU), tis).pgLoss())
        .isCloseTo(expected, within(1e-5f));
    assertThat(PolicyObjective.compute(batch(RATIO, OLD_OVER_MU), tis.withDecoupled(true)).pgLoss())
        .isCloseTo(expected, within(1e-5f));
  }

  @Test
  void noCorrection_ignoresTheBehaviourPolicy() {
    ObjectiveResult res = PolicyObjective.compute(batch(RATIO, OLD_OVER_MU), GRPO);
    assertThat(res.pgLoss()).isCloseTo(0.82f, within(1e-5f));
    assertThat(res.isWeightMean()).isEqualTo(1f);
  }

  @Test
  void kl_isK3ToTheReferenceWithItsGradient() {
    // A = 0 isolates the penalty; pi_ref / pi_theta = [2, 0.5 | 1, 1, 4], k3 = x - log x - 1
    float[][] refOverTheta = {{2, 0.5f, PAD}, {1, 1, 4}};
    PolicyBatch in = Tiny.batch(m, Tiny.logp(ON_POLICY), null, new float[] {0, 0});
    in = in.withRef(m.create(Tiny.shifted(Tiny.logp(ON_POLICY), refOverTheta, false)));
    ObjectiveConfig c = GRPO.withKlCoef(0.1f);
    double k3 = (2 - Math.log(2) - 1) + (0.5 - Math.log(0.5) - 1) + (4 - Math.log(4) - 1);
    ObjectiveResult res = PolicyObjective.compute(in, c);
    assertThat(res.pgLoss()).isZero();
    assertThat(res.klLoss()).isCloseTo((float) (0.1 * k3 / 5), within(1e-6f));
    assertThat(res.loss().getFloat()).isCloseTo(res.klLoss(), within(1e-7f));
    // d/dlogp of k3(ref - logp) = 1 - pi_ref/pi_theta; times beta / N
    assertThat(Tiny.gradient(in, c))
        .containsExactly(new float[] {-0.02f, 0.01f, 0, 0, 0, -0.06f}, within(1e-6f));
  }
}
