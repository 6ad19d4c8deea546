package dev.r3.model.rl;

import static dev.r3.model.rl.Tiny.ADV;
import static dev.r3.model.rl.Tiny.LOGP_OLD;
import static dev.r3.model.rl.Tiny.MASK;
import static dev.r3.model.rl.Tiny.ON_POLICY;
import static dev.r3.model.rl.Tiny.RATIO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.r3.model.rl.ObjectiveConfig.Correction;
import java.lang.reflect.Field;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpoObjectiveTest {
  private static final ObjectiveConfig GRPO = ObjectiveConfig.grpo(); // clip [0.8, 1.2]
  private NDManager m;

  @BeforeEach
  void open() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    m.close();
  }

  /*
   * Per trained token, -min(rA, clip(r)A) with clip to [0.8, 1.2]:
   *   row 0, A = +1:  r = 1.1 -> -1.1        r = 1.5 -> -1.2 (clipped: no gradient)
   *   row 1, A = -2:  r = 0.7 -> +1.6 (clipped)   r = 0.9 -> +1.8   r = 1.5 -> +3.0 (the min keeps rA)
   * sum 4.1 over N = 5 tokens.
   */
  @Test
  void grpo_clipsPositiveAndNegativeAdvantages() {
    ObjectiveResult res = PolicyObjective.compute(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GRPO);
    assertThat(res.loss().getFloat()).isCloseTo(4.1f / 5, within(1e-5f));
    assertThat(res.pgLoss()).isCloseTo(0.82f, within(1e-5f));
    assertThat(res.klLoss()).isZero();
    assertThat(res.clipFrac()).isCloseTo(2f / 5, within(1e-6f));
    assertThat(res.tokens()).isEqualTo(5);
    assertThat(res.isWeightMean()).isEqualTo(1f);
    assertThat(res.misDroppedFrac()).isZero();
    double kl = 0;
    for (double r : new double[] {1.1, 1.5, 0.7, 0.9, 1.5}) {
      kl += r - 1 - Math.log(r);
    }
    assertThat(res.approxKl()).isCloseTo((float) (kl / 5), within(1e-5f));
  }

  @Test
  void grpo_gradientIsZeroWhereClippedAndPushesTowardTheAdvantage() {
    float[] g = Tiny.gradient(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GRPO);
    // d(-rA)/dlogp = -rA, over N = 5; zero where clipped and at padding
    assertThat(g)
        .containsExactly(
            new float[] {-1.1f / 5, 0, 0, 0, 0.9f * 2 / 5, 1.5f * 2 / 5}, within(1e-5f));
  }

  @Test
  void grpo_asymmetricClip_usesTheUpperBoundForPositiveAdvantage() {
    // DAPO's clip-higher: with eps_hi = 0.6 the r = 1.5 token of row 0 is no longer clipped
    ObjectiveResult res =
        PolicyObjective.compute(
            Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GRPO.withClip(0.2f, 0.6f));
    assertThat(res.pgLoss()).isCloseTo((-1.1f - 1.5f + 1.6f + 1.8f + 3.0f) / 5, within(1e-5f));
    assertThat(res.clipFrac()).isCloseTo(1f / 5, within(1e-6f));
  }

  @Test
  void onPolicy_gradientEqualsPlainPolicyGradient() {
    // at r = 1 the clipped surrogate's gradient is that of -(1/N) sum_t A * logp_t
    float[] objective = Tiny.gradient(Tiny.batch(m, Tiny.logp(ON_POLICY), null, ADV), GRPO);
    NDArray logp = m.create(Tiny.logp(ON_POLICY));
    logp.setRequiresGradient(true);
    NDArray mask = m.create(MASK);
    NDArray adv = m.create(ADV).expandDims(1);
    float[] plain =
        Tiny.gradient(
            logp,
            x -> {
              NDArray safe = NDArrays.where(mask.gt(0f), x, x.zerosLike());
              return safe.mul(adv).mul(mask).sum().div(5f).neg();
            });
    assertThat(objective).containsExactly(plain, within(1e-6f));
    assertThat(objective)
        .containsExactly(new float[] {-0.2f, -0.2f, 0, 0.4f, 0.4f, 0.4f}, within(1e-6f));
    ObjectiveResult res =
        PolicyObjective.compute(Tiny.batch(m, Tiny.logp(ON_POLICY), null, ADV), GRPO);
    assertThat(res.clipFrac()).isZero();
    assertThat(res.approxKl()).isCloseTo(0f, within(1e-7f));
  }

  @Test
  void padding_neverReachesLossOrGradient() {
    float[][] logp = Tiny.logp(RATIO);
    float[] base = Tiny.gradient(Tiny.batch(m, logp, null, ADV), GRPO);
    float baseLoss = PolicyObjective.compute(Tiny.batch(m, logp, null, ADV), GRPO).pgLoss();
    for (float garbage : new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 80f, 0f}) {
      logp[0][2] = garbage;
      PolicyBatch in = Tiny.batch(m, logp, null, ADV);
      assertThat(PolicyObjective.compute(in, GRPO).pgLoss()).isEqualTo(baseLoss);
      assertThat(Tiny.gradient(Tiny.batch(m, logp, null, ADV), GRPO)).containsExactly(base);
    }
  }

  @Test
  void mask_selectsTrainedTokensAndSetsTheDenominator() {
    // train only row 1's middle token: loss = 1.8 / 1
    float[][] mask = {{0, 0, 0}, {0, 1, 0}};
    PolicyBatch in =
        new PolicyBatch(
            withGrad(m.create(Tiny.logp(RATIO))),
            m.create(LOGP_OLD),
            null,
            null,
            m.create(ADV),
            m.create(mask));
    ObjectiveResult res = PolicyObjective.compute(in, GRPO);
    assertThat(res.pgLoss()).isCloseTo(1.8f, within(1e-5f));
    assertThat(res.tokens()).isEqualTo(1);
  }

  @Test
  void emptyMask_givesZeroLossNotNaN() {
    PolicyBatch in =
        new PolicyBatch(
            withGrad(m.create(Tiny.logp(RATIO))),
            m.create(LOGP_OLD),
            null,
            null,
            m.create(ADV),
            m.zeros(new Shape(2, 3)));
    ObjectiveResult res = PolicyObjective.compute(in, GRPO);
    assertThat(res.loss().getFloat()).isZero();
    assertThat(res.tokens()).isZero();
    assertThat(res.clipFrac()).isZero();
    assertThat(Tiny.gradient(in, GRPO)).containsOnly(0f);
  }

  @Test
  void oldLogprobs_areConstants() {
    PolicyBatch in = Tiny.batch(m, Tiny.logp(RATIO), null, ADV);
    in.logpOld().setRequiresGradient(true);
    Tiny.gradient(in, GRPO);
    try (NDArray g = in.logpOld().getGradient()) {
      assertThat(g.toFloatArray()).containsOnly(0f);
    }
  }

  @Test
  void compute_leavesOnlyTheLossBehind() throws Exception {
    try (NDManager step = m.newSubManager()) {
      PolicyBatch in = Tiny.batch(step, Tiny.logp(RATIO), Tiny.logpInfer(RATIO), ADV);
      int before = resources(step);
      ObjectiveConfig everything =
          GRPO.withCorrection(Correction.MIS).withDecoupled(true).withKlCoef(0.1f);
      NDArray loss = PolicyObjective.compute(in.withRef(in.logpOld()), everything).loss();
      assertThat(resources(step)).isEqualTo(before + 1);
      assertThat(loss.getManager()).isSameAs(step);
      assertThat(in.logp().getManager()).isSameAs(step);
    }
  }

  @Test
  void metrics_areNamespaced() {
    Map<String, Float> metrics =
        PolicyObjective.compute(Tiny.batch(m, Tiny.logp(RATIO), null, ADV), GRPO).metrics();
    assertThat(metrics)
        .containsKeys(
            "losses/pg_loss",
            "losses/kl_loss",
            "losses/clip_frac",
            "losses/approx_kl",
            "losses/is_weight_mean",
            "losses/mis_dropped_frac",
            "losses/tokens");
    assertThat(metrics.get("losses/clip_frac")).isCloseTo(0.4f, within(1e-6f));
  }

  @Test
  void missingInputs_areRejected() {
    PolicyBatch noInfer = Tiny.batch(m, Tiny.logp(RATIO), null, ADV);
    assertThatThrownBy(() -> PolicyObjective.compute(noInfer, GRPO.withCorrection(Correction.TIS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logpInfer");
    assertThatThrownBy(() -> PolicyObjective.compute(noInfer, GRPO.withKlCoef(0.1f)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logpRef");
    assertThatThrownBy(
            () ->
                PolicyBatch.of(
                    noInfer.logp(),
                    noInfer.logpOld(),
                    null,
                    m.create(new float[3]),
                    noInfer.mask()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("advantages");
  }

  private static NDArray withGrad(NDArray a) {
    a.setRequiresGradient(true);
    return a;
  }

  /** Arrays a manager holds (BaseNDManager keeps them in a protected map). */
  private static int resources(NDManager manager) throws ReflectiveOperationException {
    Field f = BaseNDManager.class.getDeclaredField("resources");
    f.setAccessible(true);
    return ((Map<?, ?>) f.get(manager)).size();
  }
}
